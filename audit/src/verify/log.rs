//! The log, entry by entry: the hash chain, and the order of events
//! (lifecycle, and ballots only in sealed batches, each in tracker order).

use crate::checkpoint::CheckpointReason;
use crate::crypto::{Digest, PublicKey, Seed, Signature};
use crate::log::{ChainedEntry, Event, GENESIS};

use super::report::Failures;

/// What the log says, kept for the checks that come after it.
#[derive(Debug, Default)]
pub(crate) struct LogFacts {
    /// Hash after each entry (index = seq), as recomputed.
    pub hashes: Vec<Digest>,
    /// Entry 0's election id and key, if it was `election_created`.
    pub created: Option<(String, PublicKey)>,
    /// `polls_opened`: (seq, definition hash, eligible, lot seed commitment).
    pub opened: Option<(u64, Digest, u64, Digest)>,
    /// `polls_closed`: (seq, tokens used, ballots).
    pub closed: Option<(u64, u64, u64)>,
    /// `tallied`: (seq, tally digest, lot seed).
    pub tallied: Option<(u64, Digest, Seed)>,
    /// The certification quorum set when the polls opened.
    pub quorum: u32,
    /// Registered certifiers: (seq, name, key).
    pub certifiers: Vec<(u64, String, PublicKey)>,
    /// Certifications: (seq, name, key, signature).
    pub certifications: Vec<(u64, String, PublicKey, Signature)>,
    /// `certified`: (seq, signatures, quorum).
    pub certified: Option<(u64, u64, u32)>,
    /// Every ballot entry's (tracker, seq), sorted by tracker.
    pub trackers: Vec<(Digest, u64)>,
    /// (seal number, seq of its seal entry), in log order.
    pub seals: Vec<(u64, u64)>,
    /// Entries that need a checkpoint, with the reason expected.
    pub needs_checkpoint: Vec<(u64, CheckpointReason)>,
    /// The lifecycle state the log shows.
    pub state: &'static str,
    /// `token_reissued` entries: codes replaced one by one by staff.
    pub replaced: u64,
}

impl LogFacts {
    /// The seq of the `seal` entry numbered `seal`.
    pub fn seal_entry(&self, seal: u64) -> Option<u64> {
        self.seals.iter().find(|(n, _)| *n == seal).map(|(_, seq)| *seq)
    }

    /// The seq of the ballot entry with `tracker`.
    pub fn ballot_entry(&self, tracker: &Digest) -> Option<u64> {
        self.trackers
            .binary_search_by(|(t, _)| t.cmp(tracker))
            .ok()
            .map(|i| self.trackers[i].1)
    }
}

/// Checks the log as its entries arrive.
pub(crate) struct LogChecker {
    facts: LogFacts,
    previous: Option<Digest>,
    chain: Failures,
    structure: Failures,
    /// 0 draft, 1 open, 2 closed, 3 tallied, 4 certified.
    phase: u8,
    batch_len: u64,
    batch_last: Option<Digest>,
    next_seal: u64,
    total_ballots: u64,
}

impl Default for LogChecker {
    fn default() -> Self {
        LogChecker {
            facts: LogFacts::default(),
            previous: None,
            chain: Failures::default(),
            structure: Failures::default(),
            phase: 0,
            batch_len: 0,
            batch_last: None,
            next_seal: 1,
            total_ballots: 0,
        }
    }
}

impl LogChecker {
    /// Check one entry.
    pub fn entry(&mut self, chained: &ChainedEntry) {
        let position = self.facts.hashes.len() as u64;
        let entry = &chained.entry;
        if entry.seq != position {
            self.chain.push(format!(
                "entry at position {position} has seq {} (an entry is missing, added or moved)",
                entry.seq
            ));
        }
        let previous = self.previous.unwrap_or(GENESIS);
        let computed = entry.chain_hash(&previous);
        if computed != chained.hash {
            self.chain.push(format!(
                "entry {} ({}): its hash {} is not SHA-256(previous hash ‖ entry) = {}",
                entry.seq,
                entry.event.kind(),
                chained.hash,
                computed
            ));
        }
        self.facts.hashes.push(computed);
        self.previous = Some(computed);
        self.structure(position, &entry.event);
    }

    fn structure(&mut self, seq: u64, event: &Event) {
        let at = |what: &str| format!("entry {seq} ({what})");
        if seq == 0 {
            match event {
                Event::ElectionCreated {
                    election, public_key, ..
                } => {
                    self.facts.created = Some((election.clone(), *public_key));
                }
                other => self.structure.push(format!(
                    "{}: the log must start with election_created",
                    at(other.kind())
                )),
            }
            return;
        }
        let ballots_waiting = self.batch_len > 0;
        let f = &mut self.structure;
        match event {
            Event::ElectionCreated { .. } => f.push(format!("{}: a second election_created", at("election_created"))),
            Event::DefinitionUpdated { .. } | Event::RollImported { .. } => {
                if self.phase != 0 {
                    f.push(format!("{}: only allowed before the polls open", at(event.kind())));
                }
            }
            Event::TokensIssued { .. } | Event::TokenReissued { .. } | Event::TokensSent { .. } => {
                if matches!(event, Event::TokenReissued { .. }) {
                    self.facts.replaced += 1;
                }
                if self.phase > 1 {
                    f.push(format!("{}: only allowed before the polls close", at(event.kind())));
                }
            }
            Event::PollsOpened {
                definition_hash,
                eligible,
                lot_seed_commitment,
                certification_quorum,
                ..
            } => {
                self.facts.quorum = *certification_quorum;
                if self.phase != 0 {
                    f.push(format!("{}: the polls opened twice", at("polls_opened")));
                }
                self.phase = 1;
                self.facts.opened = Some((seq, *definition_hash, *eligible, *lot_seed_commitment));
                self.facts.needs_checkpoint.push((seq, CheckpointReason::Opened));
            }
            Event::Ballot { tracker } => {
                if self.phase != 1 {
                    f.push(format!("{}: a ballot while the polls were not open", at("ballot")));
                }
                if let Some(last) = &self.batch_last {
                    if tracker <= last {
                        f.push(format!(
                            "{}: tracker {tracker} is not after the previous one in its batch (batches are in tracker order)",
                            at("ballot")
                        ));
                    }
                }
                self.facts.trackers.push((*tracker, seq));
                self.batch_len += 1;
                self.batch_last = Some(*tracker);
            }
            Event::Seal { seal, ballots } => {
                if *seal != self.next_seal {
                    f.push(format!(
                        "{}: seal number {seal}, expected {}",
                        at("seal"),
                        self.next_seal
                    ));
                }
                if self.batch_len == 0 {
                    f.push(format!("{}: a seal with no ballots", at("seal")));
                }
                if *ballots != self.batch_len {
                    f.push(format!(
                        "{}: says {ballots} ballots but {} ballot entries precede it",
                        at("seal"),
                        self.batch_len
                    ));
                }
                self.total_ballots += self.batch_len;
                self.batch_len = 0;
                self.batch_last = None;
                self.facts.seals.push((*seal, seq));
                self.facts.needs_checkpoint.push((seq, CheckpointReason::Sealed));
                self.next_seal = seal.saturating_add(1).max(self.next_seal + 1);
            }
            Event::ScheduleChanged { .. } => {
                if self.phase > 1 {
                    f.push(format!("{}: after the polls closed", at("schedule_changed")));
                }
            }
            Event::PollsClosed {
                tokens_used, ballots, ..
            } => {
                if self.phase != 1 {
                    f.push(format!("{}: the polls were not open", at("polls_closed")));
                }
                if *ballots != self.total_ballots {
                    f.push(format!(
                        "{}: says {ballots} ballots but the log holds {}",
                        at("polls_closed"),
                        self.total_ballots
                    ));
                }
                self.phase = 2;
                self.facts.closed = Some((seq, *tokens_used, *ballots));
                self.facts.needs_checkpoint.push((seq, CheckpointReason::Closed));
            }
            Event::CertifierRegistered {
                certifier, public_key, ..
            } => {
                if self.phase != 0 {
                    f.push(format!(
                        "{}: only allowed before the polls open",
                        at("certifier_registered")
                    ));
                }
                if self.facts.certifiers.iter().any(|(_, _, k)| k == public_key) {
                    f.push(format!(
                        "{}: the key {} is registered twice",
                        at("certifier_registered"),
                        public_key.fingerprint()
                    ));
                }
                self.facts.certifiers.push((seq, certifier.clone(), *public_key));
            }
            Event::Certification {
                certifier,
                public_key,
                signature,
            } => {
                if self.phase < 3 {
                    f.push(format!("{}: only allowed after the tally", at("certification")));
                }
                self.facts
                    .certifications
                    .push((seq, certifier.clone(), *public_key, *signature));
            }
            Event::Certified { signatures, quorum } => {
                if self.phase != 3 {
                    f.push(format!(
                        "{}: the election was not tallied, or was certified already",
                        at("certified")
                    ));
                }
                self.phase = 4;
                self.facts.certified = Some((seq, *signatures, *quorum));
                self.facts.needs_checkpoint.push((seq, CheckpointReason::Certified));
            }
            Event::Tallied {
                tally_digest, lot_seed, ..
            } => {
                if self.phase != 2 {
                    f.push(format!("{}: the polls were not closed", at("tallied")));
                }
                self.phase = 3;
                self.facts.tallied = Some((seq, *tally_digest, *lot_seed));
                self.facts.needs_checkpoint.push((seq, CheckpointReason::Tallied));
            }
        }
        if ballots_waiting && !matches!(event, Event::Ballot { .. } | Event::Seal { .. }) {
            self.structure.push(format!(
                "{}: ballot entries must be followed by their seal before anything else",
                at(event.kind())
            ));
            self.batch_len = 0;
            self.batch_last = None;
        }
    }

    /// The log is complete: returns its facts and the two checks' failures.
    pub fn finish(mut self) -> (LogFacts, Failures, Failures) {
        if self.batch_len > 0 {
            self.structure.push(format!(
                "the log ends with {} ballot entries that no seal closes",
                self.batch_len
            ));
        }
        self.facts.trackers.sort_unstable();
        for pair in self.facts.trackers.windows(2) {
            if pair[0].0 == pair[1].0 {
                self.structure.push(format!(
                    "entries {} and {} (ballot): tracker {} appears twice in the log",
                    pair[0].1, pair[1].1, pair[0].0
                ));
            }
        }
        self.facts.state = ["draft", "open", "closed", "tallied", "certified"][self.phase as usize];
        (self.facts, self.chain, self.structure)
    }
}
