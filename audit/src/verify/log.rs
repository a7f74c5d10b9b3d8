//! The log, entry by entry: the hash chain (FORMAT.md §5), and the rules of
//! §5 — entry 0, the lifecycle, sealed batches in tracker order, the
//! closing figures, certifier keys and actors.

use crate::checkpoint::CheckpointReason;
use crate::crypto::{Digest, PublicKey, Seed, Signature};
use crate::log::{actor_problem, ChainedEntry, Event, Phase, GENESIS};

use super::report::Failures;

/// The `polls_opened` entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opened {
    pub seq: u64,
    pub definition_hash: Digest,
    pub eligible: u64,
    pub tokens_issued: u64,
    pub lot_seed_commitment: Digest,
}

/// The `polls_closed` entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Closed {
    pub seq: u64,
    pub tokens_used: u64,
    pub tokens_issued: u64,
    pub ballots: u64,
}

/// The `tallied` entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tallied {
    pub seq: u64,
    pub tally_digest: Digest,
    pub lot_seed: Seed,
}

/// A `roll_imported` entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RollImport {
    pub seq: u64,
    pub added: u64,
    pub total: u64,
}

/// A `certifier_registered` entry.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub seq: u64,
    pub name: String,
    pub key: PublicKey,
}

/// A `certification` entry.
#[derive(Debug, Clone)]
pub(crate) struct Certification {
    pub seq: u64,
    pub name: String,
    pub key: PublicKey,
    pub signature: Signature,
}

/// The `certified` entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Certified {
    pub seq: u64,
    pub signatures: u64,
    pub quorum: u32,
}

/// An entry that needs a record checkpoint (§6).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NeedsCheckpoint {
    pub seq: u64,
    pub kind: &'static str,
    pub reason: CheckpointReason,
}

/// What the log says, kept for the checks that come after it.
#[derive(Debug, Default)]
pub(crate) struct LogFacts {
    /// Hash after each entry (index = seq), as recomputed.
    pub hashes: Vec<Digest>,
    /// Entry 0's election id and key, if it was `election_created`.
    pub created: Option<(String, PublicKey)>,
    pub opened: Option<Opened>,
    pub closed: Option<Closed>,
    pub tallied: Option<Tallied>,
    /// `roll_imported` entries before the polls opened, in log order.
    pub rolls: Vec<RollImport>,
    /// The certification quorum set when the polls opened.
    pub quorum: u32,
    pub certifiers: Vec<Registration>,
    pub certifications: Vec<Certification>,
    pub certified: Option<Certified>,
    /// Every ballot entry's (tracker, seq), sorted by tracker.
    pub trackers: Vec<(Digest, u64)>,
    /// (seal number, seq of its seal entry), in log order.
    pub seals: Vec<(u64, u64)>,
    /// Entries that need a checkpoint, in log order.
    pub needs_checkpoint: Vec<NeedsCheckpoint>,
    /// The lifecycle state the log shows.
    pub state: &'static str,
    /// `token_reissued` entries: codes replaced one by one by staff.
    pub replaced: u64,
    /// What the log says about encryption (docs/design/encrypted-ballots.md §16.9).
    pub encryption: super::encrypted::EncLog,
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

    /// Whether the record is tallied or certified (its ballots published).
    pub fn tallied_or_certified(&self) -> bool {
        self.tallied.is_some()
    }
}

/// An entry named in a failure: `entry 12 (ballot)`.
#[derive(Clone, Copy)]
struct At {
    seq: u64,
    kind: &'static str,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry {} ({})", self.seq, self.kind)
    }
}

/// Work on an entry's chain hash done ahead (on a parser thread).
pub(crate) enum Ahead {
    /// None: the entry is encoded and hashed here.
    Nothing,
    /// The entry's canonical encoding.
    Canonical(Vec<u8>),
    /// SHA-256(the hash the record gives the entry before ‖ the entry's
    /// canonical encoding): the entry's hash, if the chain holds up to it.
    Chained(Digest),
}

/// Checks the log as its entries arrive.
pub(crate) struct LogChecker {
    facts: LogFacts,
    /// The hash after the previous entry, as recomputed.
    previous: Option<Digest>,
    /// The hash the record gives the previous entry.
    claimed: Option<Digest>,
    chain: Failures,
    structure: Failures,
    phase: Phase,
    batch_len: u64,
    batch_last: Option<Digest>,
    /// `audited` entries since the previous seal (§16.9: sealed with the ballots).
    batch_audited: u64,
    /// The previous `audited` entry of the batch: (seq, tracker).
    batch_audited_last: Option<(u64, Digest)>,
    next_seal: u64,
    total_ballots: u64,
}

impl Default for LogChecker {
    fn default() -> Self {
        LogChecker {
            facts: LogFacts::default(),
            previous: None,
            claimed: None,
            chain: Failures::default(),
            structure: Failures::default(),
            phase: Phase::Draft,
            batch_len: 0,
            batch_last: None,
            batch_audited: 0,
            batch_audited_last: None,
            next_seal: 1,
            total_ballots: 0,
        }
    }
}

impl LogChecker {
    /// Check one entry, with whatever was done `ahead` on its hash.
    pub fn entry(&mut self, chained: &ChainedEntry, ahead: &Ahead) {
        let position = self.facts.hashes.len() as u64;
        let entry = &chained.entry;
        if entry.seq != position {
            self.chain.push(format!(
                "§5: entry at position {position} ({}): expected seq {position}, found {} (an entry is missing, added or moved)",
                entry.event.kind(),
                entry.seq
            ));
        }
        let previous = self.previous.unwrap_or(GENESIS);
        let computed = match ahead {
            // Hashed ahead with the record's previous hash, which is the
            // recomputed one while the chain holds.
            Ahead::Chained(hash) if self.previous.is_some() && self.previous == self.claimed => *hash,
            Ahead::Canonical(bytes) => Digest::of_parts(&[&previous.0, bytes]),
            Ahead::Chained(_) | Ahead::Nothing => entry.chain_hash(&previous),
        };
        if computed != chained.hash {
            self.chain.push(format!(
                "§5: entry {position} ({}): expected hash SHA-256(previous hash ‖ canonical(entry)) = {computed}, found {}",
                entry.event.kind(),
                chained.hash,
            ));
        }
        self.facts.hashes.push(computed);
        self.previous = Some(computed);
        self.claimed = Some(chained.hash);
        self.structure(position, &entry.event);
    }

    fn structure(&mut self, seq: u64, event: &Event) {
        let kind = event.kind();
        // Formatted only into a failure: most entries have none.
        let at = At { seq, kind };
        if let Some(problem) = event.actor().and_then(actor_problem) {
            self.structure.push(format!("§5 rule 6: {at}: {problem}"));
        }
        if seq == 0 {
            match event {
                Event::ElectionCreated {
                    election, public_key, ..
                } => {
                    self.facts.created = Some((election.clone(), *public_key));
                }
                _ => self.structure.push(format!(
                    "§5 rule 1: {at}: expected election_created as entry 0, found {kind}"
                )),
            }
            return;
        }
        if !matches!(event, Event::Ballot { .. } | Event::Seal { .. }) {
            // Out of the ballots' path, which a million-entry log takes a
            // million times.
            self.facts.encryption.entry(seq, event);
        }
        let ballots_waiting = self.batch_len + self.batch_audited > 0;
        let phase = self.phase;
        let f = &mut self.structure;
        let allowed = event.phases();
        if matches!(event, Event::ElectionCreated { .. }) {
            f.push(format!("§5 rule 1: {at}: only entry 0 is election_created"));
        } else if !allowed.contains(&phase) {
            let once = match event {
                Event::PollsOpened { .. } if phase > Phase::Draft => Some("polls_opened"),
                Event::PollsClosed { .. } if phase > Phase::Open => Some("polls_closed"),
                Event::Tallied { .. } if phase > Phase::Closed => Some("tallied"),
                Event::Certified { .. } if phase > Phase::Tallied => Some("certified"),
                _ => None,
            };
            match once {
                Some(what) => f.push(format!("§5 rule 2: {at}: {what} at most once, found a second one")),
                None => f.push(format!(
                    "§5 rule 2: {at}: expected while the election is {}, found while it is {}",
                    allowed.iter().map(|p| p.name()).collect::<Vec<_>>().join(" or "),
                    phase.name()
                )),
            }
        }
        match event {
            Event::ElectionCreated { .. }
            | Event::DefinitionUpdated { .. }
            | Event::TokensIssued { .. }
            | Event::TokensSent { .. }
            | Event::ScheduleChanged { .. }
            // The key ceremony's entries (§16.9): their state is rule 2's;
            // what they hold is checked against the record's ceremony.
            | Event::TrusteeNamed { .. }
            | Event::TrusteeRegistered { .. }
            | Event::CeremonyMessage { .. }
            | Event::TrusteeExcluded { .. }
            | Event::CeremonyCompleted { .. }
            // Encrypted elections' decryption (§16.9): checked against
            // the record's `encryption` member.
            | Event::Aggregated { .. }
            | Event::DecryptionShare { .. }
            | Event::DecryptionRefused { .. } => {}
            Event::TokenReissued { .. } => self.facts.replaced += 1,
            Event::RollImported { added, total, .. } => {
                if phase == Phase::Draft {
                    self.facts.rolls.push(RollImport {
                        seq,
                        added: *added,
                        total: *total,
                    });
                }
            }
            Event::PollsOpened {
                definition_hash,
                eligible,
                tokens_issued,
                lot_seed_commitment,
                certification_quorum,
                witnesses,
                witness_quorum,
                ..
            } => {
                if let (Some(witnesses), Some(quorum)) = (witnesses, witness_quorum) {
                    for problem in crate::log::policy_problems(witnesses, *quorum) {
                        f.push(format!("§5 rule 8: {at}: {problem}"));
                    }
                }
                if phase == Phase::Draft {
                    self.facts.quorum = *certification_quorum;
                    self.phase = Phase::Open;
                    self.facts.opened = Some(Opened {
                        seq,
                        definition_hash: *definition_hash,
                        eligible: *eligible,
                        tokens_issued: *tokens_issued,
                        lot_seed_commitment: *lot_seed_commitment,
                    });
                    self.need(seq, kind, CheckpointReason::Opened);
                }
            }
            Event::Ballot { tracker } => {
                if let Some((audited, _)) = self.batch_audited_last {
                    f.push(format!(
                        "§16.9: {at}: expected the batch's ballot entries before its audited entries, found it after entry {audited} (audited)"
                    ));
                }
                if let Some(last) = &self.batch_last {
                    if tracker <= last {
                        f.push(format!(
                            "§5 rule 3: {at}: expected a tracker after the previous one of its batch ({last}), found {tracker}"
                        ));
                    }
                }
                self.facts.trackers.push((*tracker, seq));
                self.batch_len += 1;
                self.batch_last = Some(*tracker);
            }
            // Sealed in batches after the batch's ballot entries, in tracker
            // order (§16.9); what it holds is checked against the record's
            // `encryption`.
            Event::Audited { tracker } => {
                if let Some((_, last)) = &self.batch_audited_last {
                    if tracker <= last {
                        f.push(format!(
                            "§16.9: {at}: expected a tracker after the previous audited one of its batch ({last}), found {tracker}"
                        ));
                    }
                }
                self.batch_audited += 1;
                self.batch_audited_last = Some((seq, *tracker));
            }
            Event::Seal { seal, ballots } => {
                if *seal != self.next_seal {
                    f.push(format!(
                        "§5 rule 3: {at}: expected seal number {}, found {seal}",
                        self.next_seal
                    ));
                }
                if *ballots != self.batch_len || self.batch_len + self.batch_audited == 0 {
                    f.push(format!(
                        "§5 rule 3: {at}: expected ballots = {} (the ballot entries since the previous seal, at least 1), found {ballots}",
                        self.batch_len
                    ));
                }
                self.total_ballots += self.batch_len;
                self.batch_len = 0;
                self.batch_audited = 0;
                self.batch_audited_last = None;
                self.batch_last = None;
                self.facts.seals.push((*seal, seq));
                self.need(seq, kind, CheckpointReason::Sealed);
                self.next_seal = seal.saturating_add(1).max(self.next_seal + 1);
            }
            Event::PollsClosed {
                tokens_used,
                tokens_issued,
                ballots,
                ..
            } => {
                if *ballots != self.total_ballots {
                    f.push(format!(
                        "§5 rule 4: {at}: expected ballots = {} (the ballot entries in the log), found {ballots}",
                        self.total_ballots
                    ));
                }
                if phase == Phase::Open {
                    self.phase = Phase::Closed;
                    self.facts.closed = Some(Closed {
                        seq,
                        tokens_used: *tokens_used,
                        tokens_issued: *tokens_issued,
                        ballots: *ballots,
                    });
                    self.need(seq, kind, CheckpointReason::Closed);
                }
            }
            Event::CertifierRegistered {
                certifier, public_key, ..
            } => {
                if let Some(earlier) = self.facts.certifiers.iter().find(|r| r.key == *public_key) {
                    f.push(format!(
                        "§5 rule 5: {at}: the key {} is registered already (entry {}): a key is registered at most once",
                        public_key.fingerprint(),
                        earlier.seq
                    ));
                }
                self.facts.certifiers.push(Registration {
                    seq,
                    name: certifier.clone(),
                    key: *public_key,
                });
            }
            Event::Certification {
                certifier,
                public_key,
                signature,
            } => self.facts.certifications.push(Certification {
                seq,
                name: certifier.clone(),
                key: *public_key,
                signature: *signature,
            }),
            Event::Certified { signatures, quorum } => {
                if phase == Phase::Tallied {
                    self.phase = Phase::Certified;
                    self.facts.certified = Some(Certified {
                        seq,
                        signatures: *signatures,
                        quorum: *quorum,
                    });
                    self.need(seq, kind, CheckpointReason::Certified);
                }
            }
            Event::Tallied {
                tally_digest, lot_seed, ..
            } => {
                if phase == Phase::Closed {
                    self.phase = Phase::Tallied;
                    self.facts.tallied = Some(Tallied {
                        seq,
                        tally_digest: *tally_digest,
                        lot_seed: *lot_seed,
                    });
                    self.need(seq, kind, CheckpointReason::Tallied);
                }
            }
        }
        if ballots_waiting && !matches!(event, Event::Ballot { .. } | Event::Seal { .. } | Event::Audited { .. }) {
            self.structure.push(format!(
                "§5 rule 3: {at}: expected the seal of the {} ballot entries before it, found {kind}",
                self.batch_len + self.batch_audited
            ));
            self.batch_len = 0;
            self.batch_audited = 0;
            self.batch_audited_last = None;
            self.batch_last = None;
        }
    }

    fn need(&mut self, seq: u64, kind: &'static str, reason: CheckpointReason) {
        self.facts.needs_checkpoint.push(NeedsCheckpoint { seq, kind, reason });
    }

    /// The log is complete: returns its facts and the two checks' failures.
    pub fn finish(mut self) -> (LogFacts, Failures, Failures) {
        if self.batch_len + self.batch_audited > 0 {
            self.structure.push(format!(
                "§5 rule 3: expected a seal after the last {} ballot entries, found the end of the log",
                self.batch_len + self.batch_audited
            ));
        }
        // Stable sort: each sealed batch is a sorted run already, and it
        // merges runs rather than sorting afresh.
        self.facts.trackers.sort();
        for pair in self.facts.trackers.windows(2) {
            if pair[0].0 == pair[1].0 {
                self.structure.push(format!(
                    "§5 rule 3: entries {} and {} (ballot): tracker {} appears twice in the log",
                    pair[0].1, pair[1].1, pair[0].0
                ));
            }
        }
        self.facts.state = self.phase.name();
        (self.facts, self.chain, self.structure)
    }
}
