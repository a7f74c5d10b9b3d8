//! The rules of the log (FORMAT.md §5) that a monitor checks entry by
//! entry, with a few hundred bytes of state kept between runs: positions,
//! the hash chain, entry 0, the lifecycle, sealed batches in tracker order,
//! the closing figure, certifier keys and actors.
//!
//! One rule needs the whole log and is left to `teller-audit verify`: that
//! no tracker appears twice in different batches (§5 rule 3).

use serde::{Deserialize, Serialize};

use crate::crypto::{Digest, PublicKey};
use crate::log::{actor_problem, Event, LogEntry, Phase, GENESIS};

/// A rule the log breaks, at an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {rule}: {message}")]
pub struct Broken {
    /// The entry's position.
    pub seq: u64,
    /// The rule, as FORMAT.md numbers it (`§5 rule 3`).
    pub rule: &'static str,
    /// What was expected and found.
    pub message: String,
}

/// What the rules need to remember of the entries checked so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Entries checked.
    pub size: u64,
    /// `hash(size − 1)` of §5 (the genesis value before entry 0).
    pub head: Digest,
    /// The state after the last entry.
    pub phase: Phase,
    /// Ballot entries since the last seal, and the last one's tracker.
    pub batch: u64,
    /// The last tracker of the open batch.
    pub batch_last: Option<Digest>,
    /// The next seal's number.
    pub next_seal: u64,
    /// Ballot entries in sealed batches.
    pub ballots: u64,
    /// Registered certifier keys (§5 rule 5).
    pub certifiers: Vec<PublicKey>,
    /// The kind of the last entry.
    pub last_kind: Option<String>,
    /// The witnesses `polls_opened` named (§6b), and how many must co-sign.
    #[serde(default)]
    pub witnesses: Vec<crate::log::Witness>,
    /// Their quorum (0: none named).
    #[serde(default)]
    pub witness_quorum: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            size: 0,
            head: GENESIS,
            phase: Phase::Draft,
            batch: 0,
            batch_last: None,
            next_seal: 1,
            ballots: 0,
            certifiers: Vec::new(),
            last_kind: None,
            witnesses: Vec::new(),
            witness_quorum: 0,
        }
    }
}

impl Rules {
    /// Check the next entry of the election `election` whose key is `key`,
    /// and remember what later entries need.
    pub fn entry(&mut self, entry: &LogEntry, election: &str, key: &PublicKey) -> Result<(), Broken> {
        let seq = self.size;
        let broken = |rule, message: String| Broken { seq, rule, message };
        if entry.seq != seq {
            return Err(broken("§5 seq", format!("expected seq {seq}, found {}", entry.seq)));
        }
        self.head = entry.chain_hash(&self.head);
        self.size += 1;
        self.last_kind = Some(entry.event.kind().to_string());
        if let Some(problem) = entry.event.actor().and_then(actor_problem) {
            return Err(broken("§5 rule 6", problem));
        }
        if seq == 0 {
            return match &entry.event {
                Event::ElectionCreated {
                    election: named,
                    public_key,
                    ..
                } if named == election && public_key == key => Ok(()),
                Event::ElectionCreated { .. } => Err(broken(
                    "§5 rule 1",
                    format!(
                        "entry 0 names another election or key than {election} and {}",
                        key.to_hex()
                    ),
                )),
                other => Err(broken(
                    "§5 rule 1",
                    format!("expected election_created, found {}", other.kind()),
                )),
            };
        }
        let allowed = entry.event.phases();
        if !allowed.contains(&self.phase) {
            return Err(broken(
                "§5 rule 2",
                format!("{} while the election is {:?}", entry.event.kind(), self.phase),
            ));
        }
        if self.batch > 0 && !matches!(entry.event, Event::Ballot { .. } | Event::Seal { .. }) {
            return Err(broken(
                "§5 rule 3",
                format!(
                    "expected the seal of {} ballot entries, found {}",
                    self.batch,
                    entry.event.kind()
                ),
            ));
        }
        self.event(&entry.event)
            .map_err(|(rule, message)| broken(rule, message))
    }

    /// The effects of one event, once its state is allowed.
    fn event(&mut self, event: &Event) -> Result<(), (&'static str, String)> {
        match event {
            Event::PollsOpened {
                witnesses,
                witness_quorum,
                ..
            } => {
                let (list, quorum) = (witnesses.clone().unwrap_or_default(), witness_quorum.unwrap_or(0));
                if let Some(problem) = crate::log::policy_problems(&list, quorum).into_iter().next() {
                    return Err(("§5 rule 8", problem));
                }
                self.witnesses = list;
                self.witness_quorum = quorum;
                self.phase = Phase::Open;
            }
            Event::Ballot { tracker } => {
                if let Some(last) = self.batch_last.filter(|last| tracker <= last) {
                    return Err((
                        "§5 rule 3",
                        format!("tracker {tracker} is not after {last} in its batch"),
                    ));
                }
                self.batch += 1;
                self.batch_last = Some(*tracker);
            }
            Event::Seal { seal, ballots } => {
                if *seal != self.next_seal || *ballots != self.batch || self.batch == 0 {
                    return Err((
                        "§5 rule 3",
                        format!(
                            "expected seal {} of {} ballots (at least 1), found seal {seal} of {ballots}",
                            self.next_seal, self.batch
                        ),
                    ));
                }
                self.next_seal += 1;
                self.ballots += self.batch;
                self.batch = 0;
                self.batch_last = None;
            }
            Event::PollsClosed { ballots, .. } => {
                if *ballots != self.ballots {
                    return Err((
                        "§5 rule 4",
                        format!("expected ballots = {}, found {ballots}", self.ballots),
                    ));
                }
                self.phase = Phase::Closed;
            }
            Event::CertifierRegistered { public_key, .. } => {
                if self.certifiers.contains(public_key) {
                    return Err(("§5 rule 5", format!("key {} registered twice", public_key.to_hex())));
                }
                self.certifiers.push(*public_key);
            }
            Event::Tallied { .. } => self.phase = Phase::Tallied,
            Event::Certified { .. } => self.phase = Phase::Certified,
            _ => {}
        }
        Ok(())
    }

    /// Check that a tree checkpoint may end here: it covers the log up to a
    /// `polls_opened`, `seal`, `polls_closed`, `tallied` or `certified`
    /// entry (§6, §6a).
    pub fn checkpointable(&self) -> Result<(), Broken> {
        let kind = self.last_kind.as_deref().unwrap_or("nothing");
        match kind {
            "polls_opened" | "seal" | "polls_closed" | "tallied" | "certified" => Ok(()),
            _ => Err(Broken {
                seq: self.size.saturating_sub(1),
                rule: "§6a",
                message: format!(
                    "a tree checkpoint ends after polls_opened, seal, polls_closed, tallied or certified; this one ends after {kind}"
                ),
            }),
        }
    }
}
