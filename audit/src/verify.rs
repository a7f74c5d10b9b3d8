//! Offline verification of a record and of a receipt against it.
//!
//! Every check has a stable name (listed in `FORMAT.md`, "Verification"); a
//! failure names the check and the entry at fault.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use crate::ballot;
use crate::checkpoint::{CheckpointReason, SignedCheckpoint, CHECKPOINT_FORMAT};
use crate::crypto::{Digest, Seed};
use crate::log::{Event, GENESIS};
use crate::receipt::Receipt;
use crate::record::{Record, RECORD_FORMAT};
use crate::tally;

/// At most this many failures are listed per check.
const MAX_DETAILS: usize = 25;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything the check covers holds.
    Pass,
    /// Something the check covers does not hold.
    Fail,
    /// The record does not yet hold what the check needs (for example, the
    /// ballots before the tally).
    Skipped,
}

/// One named check and what it found.
#[derive(Debug, Clone)]
pub struct Check {
    /// Stable name, such as `log-chain`.
    pub name: &'static str,
    /// Pass, fail or skipped.
    pub status: Status,
    /// One line on what was checked.
    pub summary: String,
    /// Each failure, naming the entry at fault.
    pub failures: Vec<String>,
}

/// All checks run on a record (and receipt).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// In the order they ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether no check failed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// The check with this name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// Names of the failed checks.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.name)
            .collect()
    }

    fn push(&mut self, name: &'static str, summary: impl Into<String>, failures: Vec<String>) {
        let status = if failures.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        };
        self.checks.push(Check {
            name,
            status,
            summary: summary.into(),
            failures,
        });
    }

    fn skip(&mut self, name: &'static str, why: impl Into<String>) {
        self.checks.push(Check {
            name,
            status: Status::Skipped,
            summary: why.into(),
            failures: vec![],
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            let tag = match c.status {
                Status::Pass => "PASS",
                Status::Fail => "FAIL",
                Status::Skipped => "SKIP",
            };
            writeln!(f, "{tag}  {:<22} {}", c.name, c.summary)?;
            for (i, failure) in c.failures.iter().enumerate() {
                if i == MAX_DETAILS {
                    writeln!(f, "      … and {} more", c.failures.len() - MAX_DETAILS)?;
                    break;
                }
                writeln!(f, "      - {failure}")?;
            }
        }
        let failed = self.failed();
        if failed.is_empty() {
            writeln!(f, "\nVERIFIED: every check passed.")
        } else {
            writeln!(
                f,
                "\nNOT VERIFIED: {} check(s) failed: {}",
                failed.len(),
                failed.join(", ")
            )
        }
    }
}

/// What the log says, gathered in one pass for the other checks.
#[derive(Default)]
struct LogFacts {
    /// Hash after each entry (index = seq), as recomputed.
    hashes: Vec<Digest>,
    opened: Option<(u64, Digest, u64, Digest)>,
    closed: Option<(u64, u64, u64)>,
    tallied: Option<(u64, Digest, Seed)>,
    /// Tracker → (entry seq, seal number it is in).
    trackers: BTreeMap<Digest, (u64, u64)>,
    /// Seal number → seq of its seal entry.
    seals: BTreeMap<u64, u64>,
    /// seq of entries that need a checkpoint, with the reason expected.
    needs_checkpoint: Vec<(u64, CheckpointReason)>,
}

/// Verify a whole record. `seen` are checkpoints obtained elsewhere (from a
/// public mirror, or earlier downloads) that the record must be consistent with.
pub fn verify_record(record: &Record, seen: &[SignedCheckpoint]) -> Report {
    let mut report = Report::default();
    let format_failures = if record.format == RECORD_FORMAT {
        vec![]
    } else {
        vec![format!(
            "the record's format is {:?}, expected {RECORD_FORMAT:?}",
            record.format
        )]
    };
    report.push("format", "the record is a teller-record/1", format_failures);

    let facts = check_log(record, &mut report);
    check_definition(record, &facts, &mut report);
    check_checkpoints(record, &facts, seen, &mut report);
    check_ballots(record, &facts, &mut report);
    check_counts(record, &facts, &mut report);
    check_tally(record, &facts, &mut report);
    report
}

fn check_log(record: &Record, report: &mut Report) -> LogFacts {
    let mut facts = LogFacts::default();
    let mut chain = Vec::new();
    let mut previous = GENESIS;
    for (i, chained) in record.log.iter().enumerate() {
        let entry = &chained.entry;
        if entry.seq != i as u64 {
            chain.push(format!(
                "entry at position {i} has seq {} (an entry is missing, added or moved)",
                entry.seq
            ));
        }
        let computed = entry.chain_hash(&previous);
        if computed != chained.hash {
            chain.push(format!(
                "entry {} ({}): its hash {} is not SHA-256(previous hash ‖ entry) = {}",
                entry.seq,
                entry.event.kind(),
                chained.hash,
                computed
            ));
        }
        facts.hashes.push(computed);
        previous = computed;
    }
    report.push(
        "log-chain",
        format!("{} entries, each hash chained to the one before", record.log.len()),
        chain,
    );

    // The order of events: the lifecycle, and ballots only in sealed batches.
    let mut structure = Vec::new();
    let mut phase = 0u8; // 0 draft, 1 open, 2 closed, 3 tallied
    let mut batch: Vec<Digest> = Vec::new();
    let mut next_seal = 1u64;
    let mut total_ballots = 0u64;
    for (i, chained) in record.log.iter().enumerate() {
        let seq = i as u64;
        let at = |what: &str| format!("entry {seq} ({what})");
        let event = &chained.entry.event;
        if i == 0 {
            match event {
                Event::ElectionCreated {
                    election, public_key, ..
                } => {
                    if election != &record.election.id {
                        structure.push(format!(
                            "{}: names election {election}, the record is for {}",
                            at("election_created"),
                            record.election.id
                        ));
                    }
                    if public_key != &record.public_key {
                        structure.push(format!(
                            "{}: the election key {} differs from the record's key {}",
                            at("election_created"),
                            public_key.to_hex(),
                            record.public_key.to_hex()
                        ));
                    }
                }
                other => structure.push(format!(
                    "{}: the log must start with election_created",
                    at(other.kind())
                )),
            }
            continue;
        }
        let ballot_pending = !batch.is_empty();
        match event {
            Event::ElectionCreated { .. } => {
                structure.push(format!("{}: a second election_created", at("election_created")))
            }
            Event::DefinitionUpdated { .. } | Event::RollImported { .. } if phase != 0 => {
                structure.push(format!("{}: only allowed before the polls open", at(event.kind())));
            }
            Event::DefinitionUpdated { .. } | Event::RollImported { .. } => {}
            Event::TokensIssued { .. } | Event::TokenReissued { .. } if phase > 1 => {
                structure.push(format!("{}: only allowed before the polls close", at(event.kind())));
            }
            Event::TokensIssued { .. } | Event::TokenReissued { .. } => {}
            Event::PollsOpened {
                definition_hash,
                eligible,
                lot_seed_commitment,
                ..
            } => {
                if phase != 0 {
                    structure.push(format!("{}: the polls opened twice", at("polls_opened")));
                }
                phase = 1;
                facts.opened = Some((seq, *definition_hash, *eligible, *lot_seed_commitment));
                facts.needs_checkpoint.push((seq, CheckpointReason::Opened));
            }
            Event::Ballot { tracker } => {
                if phase != 1 {
                    structure.push(format!("{}: a ballot while the polls were not open", at("ballot")));
                }
                if let Some(last) = batch.last() {
                    if tracker <= last {
                        structure.push(format!(
                            "{}: tracker {tracker} is not after the previous one in its batch (batches are in tracker order)",
                            at("ballot")
                        ));
                    }
                }
                if facts.trackers.insert(*tracker, (seq, next_seal)).is_some() {
                    structure.push(format!("{}: tracker {tracker} appears twice in the log", at("ballot")));
                }
                batch.push(*tracker);
            }
            Event::Seal { seal, ballots } => {
                if *seal != next_seal {
                    structure.push(format!("{}: seal number {seal}, expected {next_seal}", at("seal")));
                }
                if batch.is_empty() {
                    structure.push(format!("{}: a seal with no ballots", at("seal")));
                }
                if *ballots != batch.len() as u64 {
                    structure.push(format!(
                        "{}: says {ballots} ballots but {} ballot entries precede it",
                        at("seal"),
                        batch.len()
                    ));
                }
                total_ballots += batch.len() as u64;
                batch.clear();
                facts.seals.insert(*seal, seq);
                facts.needs_checkpoint.push((seq, CheckpointReason::Sealed));
                next_seal = seal.saturating_add(1).max(next_seal + 1);
            }
            Event::ScheduleChanged { .. } => {
                if phase > 1 {
                    structure.push(format!("{}: after the polls closed", at("schedule_changed")));
                }
            }
            Event::PollsClosed {
                tokens_used, ballots, ..
            } => {
                if phase != 1 {
                    structure.push(format!("{}: the polls were not open", at("polls_closed")));
                }
                if *ballots != total_ballots {
                    structure.push(format!(
                        "{}: says {ballots} ballots but the log holds {total_ballots}",
                        at("polls_closed")
                    ));
                }
                phase = 2;
                facts.closed = Some((seq, *tokens_used, *ballots));
                facts.needs_checkpoint.push((seq, CheckpointReason::Closed));
            }
            Event::Tallied {
                tally_digest, lot_seed, ..
            } => {
                if phase != 2 {
                    structure.push(format!("{}: the polls were not closed", at("tallied")));
                }
                phase = 3;
                facts.tallied = Some((seq, *tally_digest, *lot_seed));
                facts.needs_checkpoint.push((seq, CheckpointReason::Tallied));
            }
        }
        if ballot_pending && !matches!(event, Event::Ballot { .. } | Event::Seal { .. }) {
            structure.push(format!(
                "{}: ballot entries must be followed by their seal before anything else",
                at(event.kind())
            ));
            batch.clear();
        }
    }
    if !batch.is_empty() {
        structure.push(format!(
            "the log ends with {} ballot entries that no seal closes",
            batch.len()
        ));
    }
    let state_expected = ["draft", "open", "closed", "tallied"][phase as usize];
    if record.election.state != state_expected && !(phase == 3 && record.election.state == "certified") {
        structure.push(format!(
            "the record says the election is {:?} but its log shows it {state_expected}",
            record.election.state
        ));
    }
    report.push(
        "log-structure",
        format!(
            "lifecycle in order; {} ballots in {} seals, each batch in tracker order",
            facts.trackers.len(),
            facts.seals.len()
        ),
        structure,
    );
    facts
}

fn check_definition(record: &Record, facts: &LogFacts, report: &mut Report) {
    let def = &record.election.definition;
    let mut failures: Vec<String> = def.problems().into_iter().map(|p| format!("definition: {p}")).collect();
    match facts.opened {
        Some((seq, logged, _, _)) => {
            let computed = def.hash();
            if computed != logged {
                failures.push(format!(
                    "entry {seq} (polls_opened): froze definition {logged}, but the record's definition hashes to {computed}"
                ));
            }
            report.push(
                "definition",
                "the definition is sound and is the one frozen at opening",
                failures,
            );
        }
        None => report.push(
            "definition",
            "the definition is sound (a draft: not yet frozen)",
            failures,
        ),
    }
}

fn check_checkpoints(record: &Record, facts: &LogFacts, seen: &[SignedCheckpoint], report: &mut Report) {
    let key = &record.public_key;
    let mut signature = Vec::new();
    let mut consistency = Vec::new();
    let mut covered: HashSet<(u64, CheckpointReason)> = HashSet::new();
    let check_one =
        |i: usize, cp: &SignedCheckpoint, label: &str, signature: &mut Vec<String>, consistency: &mut Vec<String>| {
            let c = &cp.checkpoint;
            let name = format!("{label} {i} (size {}, {:?})", c.size, c.reason);
            if c.format != CHECKPOINT_FORMAT || !cp.verifies(key) {
                signature.push(format!("{name}: the signature is not the election key's"));
            }
            if c.election != record.election.id {
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
    for (i, cp) in record.checkpoints.iter().enumerate() {
        let size = check_one(i, cp, "checkpoint", &mut signature, &mut consistency);
        if size < last {
            consistency.push(format!("checkpoint {i}: out of order (size {size} after {last})"));
        }
        last = size;
        covered.insert((size.saturating_sub(1), cp.checkpoint.reason));
    }
    for (i, cp) in seen.iter().enumerate() {
        check_one(i, cp, "previously seen checkpoint", &mut signature, &mut consistency);
    }
    report.push(
        "checkpoint-signature",
        format!(
            "{} checkpoints signed by the election key",
            record.checkpoints.len() + seen.len()
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
    report.push(
        "checkpoint-coverage",
        "a checkpoint at opening, every seal, closing and tallying",
        missing,
    );
}

fn check_ballots(record: &Record, facts: &LogFacts, report: &mut Report) {
    let Some(ballots) = &record.ballots else {
        let why = "the ballots are published with the tally; not yet in this record";
        if facts.tallied.is_some() {
            report.push(
                "ballots-published",
                why,
                vec!["the election is tallied but the record has no ballots".into()],
            );
        } else {
            for name in ["ballot-tracker", "ballot-order", "ballots-match-log", "ballot-validity"] {
                report.skip(name, why);
            }
        }
        return;
    };
    let election = &record.election.id;
    let mut tracker_failures = Vec::new();
    let mut order_failures = Vec::new();
    let mut validity = Vec::new();
    for (i, b) in ballots.iter().enumerate() {
        let computed = b.to_ballot(election).tracker();
        if computed != b.tracker {
            tracker_failures.push(format!(
                "ballot {i} (tracker {}): its content hashes to {computed}; the content or tracker was changed",
                b.tracker
            ));
        }
        if i > 0 && ballots[i - 1].tracker >= b.tracker {
            order_failures.push(format!(
                "ballot {i} (tracker {}): not after ballot {} in tracker order (or a duplicate)",
                b.tracker,
                i - 1
            ));
        }
        for p in ballot::problems(&record.election.definition, &b.choices) {
            validity.push(format!("ballot {i} (tracker {}): {}", b.tracker, p.message));
        }
    }
    report.push(
        "ballot-tracker",
        format!("{} ballots hash to their trackers", ballots.len()),
        tracker_failures,
    );
    report.push(
        "ballot-order",
        "ballots are sorted by tracker, none twice",
        order_failures,
    );

    let published: BTreeSet<Digest> = ballots.iter().map(|b| b.tracker).collect();
    let mut matching = Vec::new();
    for (tracker, (seq, _)) in &facts.trackers {
        if !published.contains(tracker) {
            matching.push(format!(
                "entry {seq} (ballot): tracker {tracker} is in the log but its ballot is missing"
            ));
        }
    }
    for (i, b) in ballots.iter().enumerate() {
        if !facts.trackers.contains_key(&b.tracker) {
            matching.push(format!(
                "ballot {i} (tracker {}): not in the log (an added ballot)",
                b.tracker
            ));
        }
    }
    report.push(
        "ballots-match-log",
        "the published ballots are exactly the log's",
        matching,
    );
    report.push("ballot-validity", "every ballot obeys the definition's rules", validity);
}

fn check_counts(record: &Record, facts: &LogFacts, report: &mut Report) {
    let c = &record.counts;
    let mut failures = Vec::new();
    let in_log = facts.trackers.len() as u64;
    if c.ballots != in_log {
        failures.push(format!(
            "counts.ballots is {} but the log holds {in_log} ballots",
            c.ballots
        ));
    }
    if let Some(published) = &record.ballots {
        if published.len() as u64 != in_log {
            failures.push(format!(
                "the record publishes {} ballots but the log holds {in_log}",
                published.len()
            ));
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
    report.push(
        "counts",
        format!(
            "{} eligible, {} tokens issued, {} used, {} ballots",
            c.eligible, c.tokens_issued, c.tokens_used, c.ballots
        ),
        failures,
    );
}

fn check_tally(record: &Record, facts: &LogFacts, report: &mut Report) {
    let Some((seq, logged_digest, seed)) = facts.tallied else {
        if record.tally.is_some() {
            report.push(
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
    let (Some(published), Some(ballots)) = (&record.tally, &record.ballots) else {
        failures.push(format!(
            "entry {seq} (tallied): the record lacks the tally or the ballots"
        ));
        report.push("tally", "recount from the ballots", failures);
        return;
    };
    let recount = tally::tally(&record.election.id, &record.election.definition, ballots, &seed);
    if published.digest() != logged_digest {
        failures.push(format!(
            "the record's tally hashes to {} but entry {seq} (tallied) logged {logged_digest}",
            published.digest()
        ));
    }
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
    }
    report.push(
        "tally",
        "the recount from the ballots equals the published tally",
        failures,
    );
}

/// Verify a receipt against a record: the record's own checks, then the
/// receipt's signature, inclusion and content.
pub fn verify_receipt(receipt: &Receipt, record: &Record) -> Report {
    let mut report = verify_record(record, &[]);
    let body = &receipt.body;

    let own: Vec<String> = receipt.problems().iter().map(ToString::to_string).collect();
    report.push(
        "receipt-signature",
        "the receipt is signed and its tracker is its ballot's hash",
        own,
    );

    let mut key = Vec::new();
    if body.election != record.election.id {
        key.push(format!(
            "the receipt is for election {}, the record for {}",
            body.election, record.election.id
        ));
    }
    if body.public_key != record.public_key {
        key.push(format!(
            "the receipt is signed by key {}, the election's key is {}",
            body.public_key.to_hex(),
            record.public_key.to_hex()
        ));
    }
    report.push("receipt-election", "the receipt belongs to this election and key", key);

    let facts_seals: BTreeMap<u64, u64> = record
        .log
        .iter()
        .filter_map(|e| match e.entry.event {
            Event::Seal { seal, .. } => Some((seal, e.entry.seq)),
            _ => None,
        })
        .collect();
    let closed = record
        .log
        .iter()
        .any(|e| matches!(e.entry.event, Event::PollsClosed { .. }));
    let position = record.log.iter().find_map(|e| match e.entry.event {
        Event::Ballot { tracker } if tracker == body.tracker => Some(e.entry.seq),
        _ => None,
    });
    match (facts_seals.get(&body.seal), position) {
        (Some(seal_seq), Some(seq)) if seq < *seal_seq => report.push(
            "receipt-inclusion",
            format!("the ballot is entry {seq}, sealed by seal {} as promised", body.seal),
            vec![],
        ),
        (Some(seal_seq), Some(seq)) => report.push(
            "receipt-inclusion",
            "the ballot is in the log by the promised seal",
            vec![format!(
                "the receipt promised seal {} (entry {seal_seq}) but the ballot is entry {seq}, after it: the service broke its promise",
                body.seal
            )],
        ),
        (Some(seal_seq), None) => report.push(
            "receipt-inclusion",
            "the ballot is in the log by the promised seal",
            vec![format!(
                "seal {} (entry {seal_seq}) has passed and tracker {} is not in the log: the service broke its promise",
                body.seal, body.tracker
            )],
        ),
        (None, _) if closed => report.push(
            "receipt-inclusion",
            "the ballot is in the log by the promised seal",
            vec![format!(
                "the polls are closed and seal {} never happened: the service broke its promise",
                body.seal
            )],
        ),
        (None, Some(seq)) => report.push(
            "receipt-inclusion",
            format!("the ballot is already entry {seq}, before its promised seal {}", body.seal),
            vec![],
        ),
        (None, None) => report.skip(
            "receipt-inclusion",
            format!("seal {} has not happened yet; check again later", body.seal),
        ),
    }

    match &record.ballots {
        Some(ballots) => {
            let mut failures = Vec::new();
            match ballots.iter().find(|b| b.tracker == body.tracker) {
                Some(b) if b.nonce == body.ballot.nonce && b.choices == body.ballot.choices => {}
                Some(_) => failures.push(format!(
                    "the published ballot with tracker {} differs from the receipt's",
                    body.tracker
                )),
                None => failures.push(format!("no published ballot has tracker {}", body.tracker)),
            }
            report.push(
                "receipt-content",
                "the published ballot is the one in the receipt",
                failures,
            );
        }
        None => report.skip(
            "receipt-content",
            "ballots are published with the tally; the tracker already commits to the content",
        ),
    }
    report
}
