//! The append-only, hash-chained audit log: its entries and the chain rule
//! (FORMAT.md §5).
//!
//! Entries are read strictly (§1): `data` is read whatever the order of an
//! entry's members (Teller writes it before `type`) into [`AnyData`], which
//! refuses members no event has and keys written twice, and is then checked
//! against the entry's type, so a member the type does not have is named
//! rather than dropped.

use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::crypto::{Digest, PublicKey, Seed, Signature};
use crate::encrypted::group::Element;
use crate::trustees::ceremony::KeyEntry;

/// One log entry, without its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EntryWire")]
pub struct LogEntry {
    /// Position in the log, from 0.
    pub seq: u64,
    /// When the entry was appended, in whole seconds since the Unix epoch (UTC).
    pub time: i64,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// A log entry with the hash that chains it to its predecessors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ChainedWire")]
pub struct ChainedEntry {
    /// The entry.
    #[serde(flatten)]
    pub entry: LogEntry,
    /// SHA-256(previous hash ‖ canonical(entry)).
    pub hash: Digest,
}

/// What a log entry records. Every staff action that changes an election names
/// its `actor`. Written with serde; read only as part of an entry, strictly
/// (see the module's documentation), so it has no lenient reader of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// The election exists; its signing key is fixed.
    ElectionCreated {
        /// The election's id.
        election: String,
        /// Its title.
        title: String,
        /// The election's Ed25519 public key.
        public_key: PublicKey,
        /// Who created it.
        actor: String,
    },
    /// The draft definition was replaced (before the polls opened).
    DefinitionUpdated {
        /// SHA-256 of the new definition's canonical encoding.
        definition_hash: Digest,
        /// Who changed it.
        actor: String,
    },
    /// Members were added to the roll.
    RollImported {
        /// Members added by this import.
        added: u64,
        /// Members on the roll afterwards.
        total: u64,
        /// Who imported them.
        actor: String,
    },
    /// A member of the election committee registered the public key they
    /// will certify the result with (before the polls open).
    CertifierRegistered {
        /// The certifier's name.
        certifier: String,
        /// Their Ed25519 public key; the private key never reaches the server.
        public_key: PublicKey,
        /// Who registered it.
        actor: String,
    },
    /// Voting tokens were issued to members who had none.
    TokensIssued {
        /// How many were issued.
        count: u64,
        /// Who issued them.
        actor: String,
    },
    /// New tokens were issued to members and sent to them (by e-mail or
    /// printed letter), replacing any they had; old ones no longer work.
    TokensSent {
        /// `invitation`, `reminder` or `letter`.
        kind: String,
        /// Members sent a token.
        count: u64,
        /// Who sent them.
        actor: String,
    },
    /// A member's token was replaced; the old one no longer works.
    TokenReissued {
        /// HMAC of the member id under a server key: staff can recognise the
        /// member, the public cannot.
        member_ref: String,
        /// Who re-issued it.
        actor: String,
    },
    /// The polls opened; the definition is frozen.
    PollsOpened {
        /// SHA-256 of the frozen definition's canonical encoding.
        definition_hash: Digest,
        /// Members on the roll: the eligible voters.
        eligible: u64,
        /// Tokens issued so far.
        tokens_issued: u64,
        /// SHA-256 of the seed lots will be drawn from, revealed at the tally.
        lot_seed_commitment: Digest,
        /// Certifiers who must sign the result to certify it (0: the
        /// election is not certified by a committee).
        certification_quorum: u32,
        /// When the polls are scheduled to close, if they are.
        closes_at: Option<i64>,
        /// Who opened them (or `scheduler`).
        actor: String,
        /// The witnesses that co-sign the log's tree checkpoints (FORMAT.md
        /// §6b), fixed at the opening; absent in logs opened before format
        /// version 3 (then `witness_quorum` is absent too).
        #[serde(skip_serializing_if = "Option::is_none")]
        witnesses: Option<Vec<Witness>>,
        /// How many of them must co-sign a checkpoint (0 when none are named).
        #[serde(skip_serializing_if = "Option::is_none")]
        witness_quorum: Option<u32>,
        /// How the ballots are encrypted (FORMAT.md
        /// §16.9): `Some(None)`, written as `null`, in a plain election;
        /// `None`, absent, in logs opened before format version 4.
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Option<OpenedEncryption>>,
    },
    /// A ballot, sealed into the log. Its content is published after the tally.
    Ballot {
        /// The ballot's tracker.
        tracker: Digest,
    },
    /// The end of a batch of ballot entries.
    Seal {
        /// Seal number, from 1.
        seal: u64,
        /// Ballot entries since the previous seal.
        ballots: u64,
    },
    /// The closing time changed while the polls were open.
    ScheduleChanged {
        /// The new closing time, if any.
        closes_at: Option<i64>,
        /// Why.
        reason: String,
        /// Who changed it.
        actor: String,
    },
    /// The polls closed.
    PollsClosed {
        /// Tokens used to cast a ballot.
        tokens_used: u64,
        /// Members holding a token when the polls closed (the record's
        /// `counts.tokens_issued` from then on).
        tokens_issued: u64,
        /// Ballots in the log.
        ballots: u64,
        /// Why (for example "scheduled close" or a reason given by staff).
        reason: String,
        /// Who closed them (or `scheduler`).
        actor: String,
    },
    /// A certifier signed the result (after the tally).
    Certification {
        /// The certifier's name.
        certifier: String,
        /// The registered key that signed.
        public_key: PublicKey,
        /// Ed25519 signature of the certification statement (FORMAT.md §8a).
        signature: Signature,
    },
    /// Enough certifiers signed: the result is certified.
    Certified {
        /// Valid signatures.
        signatures: u64,
        /// The quorum set when the polls opened.
        quorum: u32,
    },
    /// The count was made.
    Tallied {
        /// SHA-256 of the tally's canonical encoding.
        tally_digest: Digest,
        /// The seed committed to when the polls opened.
        lot_seed: Seed,
        /// Who ran the tally.
        actor: String,
    },
    /// Staff named trustee `trustee` of an encrypted election
    /// (FORMAT.md §16.9).
    TrusteeNamed {
        /// Its index, `1 … N`, in the order staff named them.
        trustee: u32,
        /// Its name.
        name: String,
        /// Who named it.
        actor: String,
    },
    /// A trustee's `register` message was accepted (§16.2).
    TrusteeRegistered {
        /// The trustee.
        trustee: u32,
        /// The key that signs its messages.
        signing_key: PublicKey,
        /// `E_j`, the key its shares are sealed to.
        encryption_key: Element,
        /// SHA-256 of the message's canonical encoding, signature included.
        message: Digest,
    },
    /// A `commit`, `deal`, `check` or `finish` message was accepted (§16.2).
    CeremonyMessage {
        /// The ceremony's attempt (from 1).
        attempt: u32,
        /// The trustee who posted it.
        trustee: u32,
        /// `commit`, `deal`, `check` or `finish`.
        round: String,
        /// SHA-256 of the message's canonical encoding, signature included.
        message: Digest,
    },
    /// A trustee is out of the ceremony from attempt `attempt + 1` on
    /// (§16.4).
    TrusteeExcluded {
        /// The attempt it was excluded in (0 while registering).
        attempt: u32,
        /// The trustee.
        trustee: u32,
        /// `invalid-deal`, `false-complaint`, `bad-share`, `invalid-finish`
        /// or `absent`.
        rule: String,
        /// The staff member, for `absent`; null for the rules the board
        /// applies itself.
        actor: Option<String>,
    },
    /// The key ceremony is complete (§16.4, §16.5).
    CeremonyCompleted {
        /// The completing attempt.
        attempt: u32,
        /// `K`.
        threshold: u32,
        /// The joint key `h`.
        joint_key: Element,
        /// `K_j` of each trustee of the completing attempt, by increasing index.
        verification_keys: Vec<KeyEntry>,
    },
    /// An audited (spoiled) encrypted ballot: it can never be cast (§16.10).
    Audited {
        /// The audited ballot's tracker.
        tracker: Digest,
    },
    /// The encrypted totals are fixed, after the close (§16.6).
    Aggregated {
        /// The aggregate's digest: what the trustees decrypt.
        aggregate_digest: Digest,
        /// The cast ballots it sums.
        ballots: u64,
        /// `d`: the most decimals of any cast ballot's weight.
        weight_decimals: u32,
    },
    /// A trustee's partial decryption was accepted (§16.7).
    DecryptionShare {
        /// The trustee's index.
        trustee: u32,
        /// SHA-256 of the `decrypt` envelope's canonical bytes.
        message: Digest,
    },
    /// A trustee's partial decryption was refused, and why (§16.7).
    DecryptionRefused {
        /// The trustee's index (0 when the sender is not a trustee).
        trustee: u32,
        /// One of [`DECRYPTION_REFUSALS`].
        reason: String,
        /// The first failing target, for `proof`; otherwise null.
        target: Option<u32>,
    },
}

/// The `reason`s of a `decryption_refused` entry (§16.7).
pub const DECRYPTION_REFUSALS: &[&str] = &[
    "envelope",
    "not-a-trustee",
    "signature",
    "malformed",
    "aggregate-digest",
    "factor-count",
    "proof",
];

/// The rounds a `ceremony_message` entry may name.
pub const CEREMONY_ROUNDS: &[&str] = &["commit", "deal", "check", "finish"];

/// The rules a `trustee_excluded` entry may name (§16.4).
pub const EXCLUSION_RULES: &[&str] = &[
    "invalid-deal",
    "false-complaint",
    "bad-share",
    "invalid-finish",
    "absent",
];

/// `polls_opened.encryption` of an encrypted election (§16.9):
/// `{"mode": "trustees", "threshold": K, "joint_key": E(h), "fingerprint": hex(fp)}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenedEncryption {
    /// Always `trustees`.
    pub mode: String,
    /// `K`.
    pub threshold: u32,
    /// The joint key `h`, from `ceremony_completed`.
    pub joint_key: Element,
    /// The election fingerprint (§14.7) every ballot carries.
    pub fingerprint: Digest,
}

/// The one `polls_opened.encryption.mode` there is.
pub const ENCRYPTION_MODE: &str = "trustees";

/// A witness named when the polls opened (FORMAT.md §5, §6b).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// Its key name in signed notes (its cosignature lines carry it).
    pub name: String,
    /// Its Ed25519 public key.
    pub key: PublicKey,
    /// Where Teller submits checkpoints to it (`…/add-checkpoint`).
    pub url: String,
}

/// The lifecycle states of §5, in order: the state of an election after
/// each entry of its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before `polls_opened`.
    Draft,
    /// Until `polls_closed`.
    Open,
    /// Until `tallied`.
    Closed,
    /// Until `certified`.
    Tallied,
    /// After `certified`.
    Certified,
}

impl Phase {
    /// The state as FORMAT.md and the record name it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Draft => "draft",
            Phase::Open => "open",
            Phase::Closed => "closed",
            Phase::Tallied => "tallied",
            Phase::Certified => "certified",
        }
    }
}

/// What is wrong with an `actor` (§5 rule 6), if anything.
pub fn actor_problem(actor: &str) -> Option<String> {
    let named = |prefix: &str| {
        actor
            .strip_prefix(prefix)
            .is_some_and(|name| !name.is_empty() && !name.chars().any(char::is_control))
    };
    if actor == "scheduler" || actor == "delivery" || named("cli:") || named("staff:") {
        None
    } else {
        Some(format!(
            "expected an actor of the form cli:USER, staff:USERNAME, scheduler or delivery (the name not empty, without control characters), found {actor:?}"
        ))
    }
}

impl Event {
    /// The states in which an entry of this type may appear (§5 rule 2).
    pub fn phases(&self) -> &'static [Phase] {
        use Phase::*;
        match self {
            Event::ElectionCreated { .. } => &[],
            Event::DefinitionUpdated { .. }
            | Event::RollImported { .. }
            | Event::CertifierRegistered { .. }
            | Event::PollsOpened { .. }
            | Event::TrusteeNamed { .. }
            | Event::TrusteeRegistered { .. }
            | Event::CeremonyMessage { .. }
            | Event::TrusteeExcluded { .. }
            | Event::CeremonyCompleted { .. } => &[Draft],
            Event::Audited { .. } => &[Open],
            Event::Aggregated { .. } | Event::DecryptionShare { .. } | Event::DecryptionRefused { .. } => &[Closed],
            Event::TokensIssued { .. } | Event::TokenReissued { .. } | Event::TokensSent { .. } => &[Draft, Open],
            Event::Ballot { .. } | Event::Seal { .. } | Event::ScheduleChanged { .. } | Event::PollsClosed { .. } => {
                &[Open]
            }
            Event::Tallied { .. } => &[Closed],
            Event::Certification { .. } => &[Tallied, Certified],
            Event::Certified { .. } => &[Tallied],
        }
    }

    /// The `actor` of an event that names one (§5 rule 6).
    pub fn actor(&self) -> Option<&str> {
        match self {
            Event::ElectionCreated { actor, .. }
            | Event::DefinitionUpdated { actor, .. }
            | Event::RollImported { actor, .. }
            | Event::CertifierRegistered { actor, .. }
            | Event::TokensIssued { actor, .. }
            | Event::TokensSent { actor, .. }
            | Event::TokenReissued { actor, .. }
            | Event::PollsOpened { actor, .. }
            | Event::ScheduleChanged { actor, .. }
            | Event::PollsClosed { actor, .. }
            | Event::Tallied { actor, .. }
            | Event::TrusteeNamed { actor, .. } => Some(actor),
            Event::TrusteeExcluded { actor, .. } => actor.as_deref(),
            Event::Ballot { .. }
            | Event::Seal { .. }
            | Event::Certification { .. }
            | Event::Certified { .. }
            | Event::TrusteeRegistered { .. }
            | Event::CeremonyMessage { .. }
            | Event::CeremonyCompleted { .. }
            | Event::Audited { .. }
            | Event::Aggregated { .. }
            | Event::DecryptionShare { .. }
            | Event::DecryptionRefused { .. } => None,
        }
    }
}

/// What is wrong with a witness policy (FORMAT.md §5 rule 8), if anything:
/// each witness's name is a note key name (not empty, at most 100
/// characters, no `+`, no white space or control character) and unique, its
/// key unique, its URL `http://` or `https://`; the quorum is at least 1 and
/// at most the number of witnesses, or 0 when none are named.
pub fn policy_problems(witnesses: &[Witness], quorum: u32) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, w) in witnesses.iter().enumerate() {
        let at = format!("data.witnesses[{i}]");
        if !crate::note::is_key_name(&w.name) || w.name.chars().count() > 100 {
            problems.push(format!(
                "{at}.name: expected a key name (1–100 characters, no `+`, no white space or control character), found {:?}",
                w.name
            ));
        }
        if witnesses[..i].iter().any(|o| o.name == w.name) {
            problems.push(format!("{at}.name: the name {:?} is named twice", w.name));
        }
        if witnesses[..i].iter().any(|o| o.key == w.key) {
            problems.push(format!("{at}.key: the key {} is named twice", w.key.to_hex()));
        }
        if !(w.url.starts_with("https://") || w.url.starts_with("http://")) || w.url.chars().any(char::is_whitespace) {
            problems.push(format!(
                "{at}.url: expected an http:// or https:// URL, found {:?}",
                w.url
            ));
        }
    }
    let n = witnesses.len() as u64;
    let ok = if n == 0 {
        quorum == 0
    } else {
        quorum >= 1 && u64::from(quorum) <= n
    };
    if !ok {
        problems.push(format!(
            "data.witness_quorum: expected {}, found {quorum}",
            if n == 0 {
                "0 (no witnesses are named)".to_string()
            } else {
                format!("1 to {n} (the witnesses named)")
            }
        ));
    }
    problems
}

impl Event {
    /// The entry type as written in the log.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ElectionCreated { .. } => "election_created",
            Event::DefinitionUpdated { .. } => "definition_updated",
            Event::RollImported { .. } => "roll_imported",
            Event::TokensIssued { .. } => "tokens_issued",
            Event::TokenReissued { .. } => "token_reissued",
            Event::TokensSent { .. } => "tokens_sent",
            Event::PollsOpened { .. } => "polls_opened",
            Event::Ballot { .. } => "ballot",
            Event::Seal { .. } => "seal",
            Event::ScheduleChanged { .. } => "schedule_changed",
            Event::PollsClosed { .. } => "polls_closed",
            Event::Tallied { .. } => "tallied",
            Event::CertifierRegistered { .. } => "certifier_registered",
            Event::Certification { .. } => "certification",
            Event::Certified { .. } => "certified",
            Event::TrusteeNamed { .. } => "trustee_named",
            Event::TrusteeRegistered { .. } => "trustee_registered",
            Event::CeremonyMessage { .. } => "ceremony_message",
            Event::TrusteeExcluded { .. } => "trustee_excluded",
            Event::CeremonyCompleted { .. } => "ceremony_completed",
            Event::Audited { .. } => "audited",
            Event::Aggregated { .. } => "aggregated",
            Event::DecryptionShare { .. } => "decryption_share",
            Event::DecryptionRefused { .. } => "decryption_refused",
        }
    }
}

/// An entry as written, with its hash: read strictly, then checked (§5).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainedWire {
    seq: u64,
    time: i64,
    #[serde(rename = "type")]
    kind: String,
    data: AnyData,
    hash: Digest,
}

/// An entry without its hash.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryWire {
    seq: u64,
    time: i64,
    #[serde(rename = "type")]
    kind: String,
    data: AnyData,
}

impl TryFrom<ChainedWire> for ChainedEntry {
    type Error = String;
    fn try_from(w: ChainedWire) -> Result<Self, String> {
        Ok(ChainedEntry {
            entry: EntryWire {
                seq: w.seq,
                time: w.time,
                kind: w.kind,
                data: w.data,
            }
            .try_into()?,
            hash: w.hash,
        })
    }
}

impl TryFrom<EntryWire> for LogEntry {
    type Error = String;
    fn try_from(w: EntryWire) -> Result<Self, String> {
        Ok(LogEntry {
            seq: w.seq,
            time: w.time,
            event: w.data.into_event(&w.kind)?,
        })
    }
}

/// Every member the `data` of some event has (§5's table). A member that
/// no event has is refused while reading; one that this entry's type does
/// not have is refused by [`AnyData::into_event`].
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AnyData {
    election: Option<String>,
    title: Option<String>,
    public_key: Option<PublicKey>,
    actor: Option<String>,
    definition_hash: Option<Digest>,
    added: Option<u64>,
    total: Option<u64>,
    certifier: Option<String>,
    count: Option<u64>,
    kind: Option<String>,
    member_ref: Option<String>,
    eligible: Option<u64>,
    tokens_issued: Option<u64>,
    lot_seed_commitment: Option<Digest>,
    certification_quorum: Option<u32>,
    /// Present (`Some`), with a time or null.
    #[serde(default, deserialize_with = "present")]
    closes_at: Option<Option<i64>>,
    tracker: Option<Digest>,
    seal: Option<u64>,
    ballots: Option<u64>,
    reason: Option<String>,
    tokens_used: Option<u64>,
    signature: Option<Signature>,
    signatures: Option<u64>,
    quorum: Option<u32>,
    tally_digest: Option<Digest>,
    lot_seed: Option<Seed>,
    witnesses: Option<Vec<Witness>>,
    witness_quorum: Option<u32>,
    trustee: Option<u32>,
    name: Option<String>,
    signing_key: Option<PublicKey>,
    encryption_key: Option<Element>,
    message: Option<Digest>,
    attempt: Option<u32>,
    round: Option<String>,
    rule: Option<String>,
    threshold: Option<u32>,
    joint_key: Option<Element>,
    verification_keys: Option<Vec<KeyEntry>>,
    /// Present (`Some`), with an object or null.
    #[serde(default, deserialize_with = "present_encryption")]
    encryption: Option<Option<OpenedEncryption>>,
    aggregate_digest: Option<Digest>,
    weight_decimals: Option<u32>,
    /// Present (`Some`), with an index or null.
    #[serde(default, deserialize_with = "present_target")]
    target: Option<Option<u32>>,
}

/// `target`, which may be null: `Some(null)` when present.
fn present_target<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

/// `encryption`, which may be null: `Some(null)` when present.
fn present_encryption<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<OpenedEncryption>>, D::Error> {
    Option::<OpenedEncryption>::deserialize(d).map(Some)
}

/// A member that may be null: `Some(null)` when present, `None` when absent.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// The `type`s of §5's table.
pub const ENTRY_TYPES: &[&str] = &[
    "election_created",
    "definition_updated",
    "roll_imported",
    "tokens_issued",
    "token_reissued",
    "certifier_registered",
    "tokens_sent",
    "polls_opened",
    "ballot",
    "seal",
    "schedule_changed",
    "polls_closed",
    "tallied",
    "certification",
    "certified",
    "trustee_named",
    "trustee_registered",
    "ceremony_message",
    "trustee_excluded",
    "ceremony_completed",
    "audited",
    "aggregated",
    "decryption_share",
    "decryption_refused",
];

/// The `kind`s of a `tokens_sent` entry.
pub const TOKENS_SENT_KINDS: &[&str] = &["invitation", "reminder", "letter"];

impl AnyData {
    /// The event of type `kind` these members make, or what is wrong: an
    /// unknown type, a member missing (or null where null is not allowed),
    /// a member this type does not have.
    fn into_event(mut self, kind: &str) -> Result<Event, String> {
        fn take<T>(v: &mut Option<T>, kind: &str, name: &str) -> Result<T, String> {
            v.take().ok_or_else(|| {
                format!("§5: a {kind} entry's data must have the member {name:?} (not null); it is missing or null")
            })
        }
        macro_rules! take {
            ($field:ident) => {
                take(&mut self.$field, kind, stringify!($field))?
            };
        }
        let event = match kind {
            "election_created" => {
                let election = take!(election);
                if !crate::canonical::is_election_id(&election) {
                    return Err(format!(
                        "data.election: expected an election id (a UUID in lower-case hyphenated form, §1), found {election:?}"
                    ));
                }
                Event::ElectionCreated {
                    election,
                    title: take!(title),
                    public_key: take!(public_key),
                    actor: take!(actor),
                }
            }
            "definition_updated" => Event::DefinitionUpdated {
                definition_hash: take!(definition_hash),
                actor: take!(actor),
            },
            "roll_imported" => Event::RollImported {
                added: take!(added),
                total: take!(total),
                actor: take!(actor),
            },
            "tokens_issued" => Event::TokensIssued {
                count: take!(count),
                actor: take!(actor),
            },
            "token_reissued" => Event::TokenReissued {
                member_ref: take!(member_ref),
                actor: take!(actor),
            },
            "certifier_registered" => Event::CertifierRegistered {
                certifier: take!(certifier),
                public_key: take!(public_key),
                actor: take!(actor),
            },
            "tokens_sent" => {
                let sent = take!(kind);
                if !TOKENS_SENT_KINDS.contains(&sent.as_str()) {
                    return Err(format!(
                        "data.kind: expected one of {TOKENS_SENT_KINDS:?} (§5), found {sent:?}"
                    ));
                }
                Event::TokensSent {
                    kind: sent,
                    count: take!(count),
                    actor: take!(actor),
                }
            }
            "polls_opened" => {
                let (witnesses, witness_quorum) = (self.witnesses.take(), self.witness_quorum.take());
                if witnesses.is_some() != witness_quorum.is_some() {
                    return Err(
                        "§5: a polls_opened entry's data has both `witnesses` and `witness_quorum` (format version 3) or neither (version 2); it has one".into(),
                    );
                }
                let encryption = self.encryption.take();
                if let Some(Some(e)) = &encryption {
                    if e.mode != ENCRYPTION_MODE {
                        return Err(format!(
                            "data.encryption.mode: expected {ENCRYPTION_MODE:?} (§5), found {:?}",
                            e.mode
                        ));
                    }
                }
                if encryption.is_some() && witnesses.is_none() {
                    return Err(
                        "§5: a polls_opened entry's data with `encryption` (format version 4) has `witnesses` and `witness_quorum` (version 3) too; it has not".into(),
                    );
                }
                Event::PollsOpened {
                    encryption,
                    definition_hash: take!(definition_hash),
                    eligible: take!(eligible),
                    tokens_issued: take!(tokens_issued),
                    lot_seed_commitment: take!(lot_seed_commitment),
                    certification_quorum: take!(certification_quorum),
                    closes_at: take!(closes_at),
                    actor: take!(actor),
                    witnesses,
                    witness_quorum,
                }
            }
            "ballot" => Event::Ballot {
                tracker: take!(tracker),
            },
            "seal" => Event::Seal {
                seal: take!(seal),
                ballots: take!(ballots),
            },
            "schedule_changed" => Event::ScheduleChanged {
                closes_at: take!(closes_at),
                reason: take!(reason),
                actor: take!(actor),
            },
            "polls_closed" => Event::PollsClosed {
                tokens_used: take!(tokens_used),
                tokens_issued: take!(tokens_issued),
                ballots: take!(ballots),
                reason: take!(reason),
                actor: take!(actor),
            },
            "tallied" => Event::Tallied {
                tally_digest: take!(tally_digest),
                lot_seed: take!(lot_seed),
                actor: take!(actor),
            },
            "certification" => Event::Certification {
                certifier: take!(certifier),
                public_key: take!(public_key),
                signature: take!(signature),
            },
            "certified" => Event::Certified {
                signatures: take!(signatures),
                quorum: take!(quorum),
            },
            "trustee_named" => Event::TrusteeNamed {
                trustee: take!(trustee),
                name: take!(name),
                actor: take!(actor),
            },
            "trustee_registered" => Event::TrusteeRegistered {
                trustee: take!(trustee),
                signing_key: take!(signing_key),
                encryption_key: take!(encryption_key),
                message: take!(message),
            },
            "ceremony_message" => {
                let round = take!(round);
                if !CEREMONY_ROUNDS.contains(&round.as_str()) {
                    return Err(format!(
                        "data.round: expected one of {CEREMONY_ROUNDS:?} (§5), found {round:?}"
                    ));
                }
                Event::CeremonyMessage {
                    attempt: take!(attempt),
                    trustee: take!(trustee),
                    round,
                    message: take!(message),
                }
            }
            "trustee_excluded" => {
                let rule = take!(rule);
                if !EXCLUSION_RULES.contains(&rule.as_str()) {
                    return Err(format!(
                        "data.rule: expected one of {EXCLUSION_RULES:?} (§5), found {rule:?}"
                    ));
                }
                // Staff's word names them; the board's own rules name nobody.
                let actor = self.actor.take();
                if (rule == "absent") != actor.is_some() {
                    return Err(format!(
                        "data.actor: a trustee_excluded entry names the staff actor for the rule \"absent\" and is null for the others (§5); rule {rule:?} with actor {actor:?}"
                    ));
                }
                Event::TrusteeExcluded {
                    attempt: take!(attempt),
                    trustee: take!(trustee),
                    rule,
                    actor,
                }
            }
            "ceremony_completed" => Event::CeremonyCompleted {
                attempt: take!(attempt),
                threshold: take!(threshold),
                joint_key: take!(joint_key),
                verification_keys: take!(verification_keys),
            },
            "audited" => Event::Audited {
                tracker: take!(tracker),
            },
            "aggregated" => Event::Aggregated {
                aggregate_digest: take!(aggregate_digest),
                ballots: take!(ballots),
                weight_decimals: take!(weight_decimals),
            },
            "decryption_share" => Event::DecryptionShare {
                trustee: take!(trustee),
                message: take!(message),
            },
            "decryption_refused" => {
                let reason = take!(reason);
                if !DECRYPTION_REFUSALS.contains(&reason.as_str()) {
                    return Err(format!(
                        "data.reason: expected one of {DECRYPTION_REFUSALS:?} (§16.7), found {reason:?}"
                    ));
                }
                Event::DecryptionRefused {
                    trustee: take!(trustee),
                    reason,
                    target: take!(target),
                }
            }
            other => {
                return Err(format!(
                    "type: expected an entry type of §5 ({}), found {other:?}",
                    ENTRY_TYPES.join(", ")
                ))
            }
        };
        if let Some(extra) = self.leftover() {
            return Err(format!(
                "data.{extra}: a {kind} entry's data has no member {extra:?} (§5; unknown members are refused, §1)"
            ));
        }
        Ok(event)
    }

    /// The first member left after the event took its own.
    fn leftover(&self) -> Option<&'static str> {
        let present = [
            ("election", self.election.is_some()),
            ("title", self.title.is_some()),
            ("public_key", self.public_key.is_some()),
            ("actor", self.actor.is_some()),
            ("definition_hash", self.definition_hash.is_some()),
            ("added", self.added.is_some()),
            ("total", self.total.is_some()),
            ("certifier", self.certifier.is_some()),
            ("count", self.count.is_some()),
            ("kind", self.kind.is_some()),
            ("member_ref", self.member_ref.is_some()),
            ("eligible", self.eligible.is_some()),
            ("tokens_issued", self.tokens_issued.is_some()),
            ("lot_seed_commitment", self.lot_seed_commitment.is_some()),
            ("certification_quorum", self.certification_quorum.is_some()),
            ("closes_at", self.closes_at.is_some()),
            ("tracker", self.tracker.is_some()),
            ("seal", self.seal.is_some()),
            ("ballots", self.ballots.is_some()),
            ("reason", self.reason.is_some()),
            ("tokens_used", self.tokens_used.is_some()),
            ("signature", self.signature.is_some()),
            ("signatures", self.signatures.is_some()),
            ("quorum", self.quorum.is_some()),
            ("tally_digest", self.tally_digest.is_some()),
            ("lot_seed", self.lot_seed.is_some()),
            ("witnesses", self.witnesses.is_some()),
            ("witness_quorum", self.witness_quorum.is_some()),
            ("trustee", self.trustee.is_some()),
            ("name", self.name.is_some()),
            ("signing_key", self.signing_key.is_some()),
            ("encryption_key", self.encryption_key.is_some()),
            ("message", self.message.is_some()),
            ("attempt", self.attempt.is_some()),
            ("round", self.round.is_some()),
            ("rule", self.rule.is_some()),
            ("threshold", self.threshold.is_some()),
            ("joint_key", self.joint_key.is_some()),
            ("verification_keys", self.verification_keys.is_some()),
            ("encryption", self.encryption.is_some()),
            ("aggregate_digest", self.aggregate_digest.is_some()),
            ("weight_decimals", self.weight_decimals.is_some()),
            ("target", self.target.is_some()),
        ];
        present.iter().find(|(_, p)| *p).map(|(name, _)| *name)
    }
}

/// The hash before the first entry: 32 zero bytes.
pub const GENESIS: Digest = Digest([0; 32]);

impl LogEntry {
    /// The canonical encoding the chain hashes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        match &self.event {
            // Most entries are ballots: write them directly.
            Event::Ballot { tracker } => {
                let mut out = Vec::with_capacity(BALLOT_ENTRY_CAPACITY);
                ballot_entry_bytes(
                    &tracker.0,
                    self.seq.to_string().as_bytes(),
                    self.time.to_string().as_bytes(),
                    &mut out,
                );
                out
            }
            _ => canonical::to_bytes(self).expect(canonical::ENCODABLE),
        }
    }

    /// This entry's hash, chained to `previous`.
    pub fn chain_hash(&self, previous: &Digest) -> Digest {
        Digest::of_parts(&[&previous.0, &self.canonical_bytes()])
    }
}

/// Room for a ballot entry's canonical encoding with any `seq` and `time`.
const BALLOT_ENTRY_CAPACITY: usize = 128;

/// A ballot entry's canonical encoding (§5): `seq` and `time` given as
/// their canonical decimal text.
fn ballot_entry_bytes(tracker: &[u8; 32], seq: &[u8], time: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"data":{"tracker":""#);
    crate::crypto::push_hex(tracker, out);
    out.extend_from_slice(br#""},"seq":"#);
    out.extend_from_slice(seq);
    out.extend_from_slice(br#","time":"#);
    out.extend_from_slice(time);
    out.extend_from_slice(br#","type":"ballot"}"#);
}

/// A ballot entry read from its text, when the text is exactly the layout
/// Teller writes, `{"seq":S,"time":T,"type":"ballot","data":{"tracker":"…"},"hash":"…"}`
/// with no space, and its canonical encoding written into `canonical`.
/// `None` for any other text, valid or not: the caller then reads it with
/// the strict reader, which accepts exactly the same entries (so this is
/// only faster, never more lenient). Most of a record's entries are
/// ballots, and a verifier reads a million of them.
pub fn ballot_entry_fast(text: &[u8], canonical: &mut Vec<u8>) -> Option<ChainedEntry> {
    let rest = text.strip_prefix(br#"{"seq":"#)?;
    let (seq_text, rest) = decimal(rest, false)?;
    let rest = rest.strip_prefix(br#","time":"#)?;
    let (time_text, rest) = decimal(rest, true)?;
    let rest = rest.strip_prefix(br#","type":"ballot","data":{"tracker":""#)?;
    let (tracker, rest) = (rest.get(..64)?, rest.get(64..)?);
    let rest = rest.strip_prefix(br#""},"hash":""#)?;
    let (hash, rest) = (rest.get(..64)?, rest.get(64..)?);
    if rest != br#""}"# {
        return None;
    }
    let seq: u64 = std::str::from_utf8(seq_text).ok()?.parse().ok()?;
    let time: i64 = std::str::from_utf8(time_text).ok()?.parse().ok()?;
    let tracker = Digest::from_hex(std::str::from_utf8(tracker).ok()?).ok()?;
    let hash = Digest::from_hex(std::str::from_utf8(hash).ok()?).ok()?;
    canonical.clear();
    ballot_entry_bytes(&tracker.0, seq_text, time_text, canonical);
    Some(ChainedEntry {
        entry: LogEntry {
            seq,
            time,
            event: Event::Ballot { tracker },
        },
        hash,
    })
}

/// The text of a JSON integer at the start of `text` in its canonical
/// form (no leading zero, no `-0`; a minus sign only if `signed`), and
/// what follows it. `None` if it is not one: the strict reader decides.
fn decimal(text: &[u8], signed: bool) -> Option<(&[u8], &[u8])> {
    let negative = signed && text.first() == Some(&b'-');
    let digits = text
        .iter()
        .skip(usize::from(negative))
        .take_while(|b| b.is_ascii_digit())
        .count();
    let end = usize::from(negative) + digits;
    let first = *text.get(usize::from(negative))?;
    // One digit at least, at most 19 (so it fits once parsed, or the parse
    // refuses it); a leading zero only as the number 0 itself.
    if digits == 0 || digits > 19 || (first == b'0' && (digits > 1 || negative)) {
        return None;
    }
    // A number must not run on into a fraction or an exponent.
    match text.get(end) {
        Some(b'.' | b'e' | b'E') => None,
        _ => Some(text.split_at(end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_encode_with_type_and_data_beside_seq_and_time() {
        let e = LogEntry {
            seq: 3,
            time: 1_700_000_000,
            event: Event::Seal { seal: 1, ballots: 2 },
        };
        assert_eq!(
            String::from_utf8(e.canonical_bytes()).unwrap(),
            r#"{"data":{"ballots":2,"seal":1},"seq":3,"time":1700000000,"type":"seal"}"#
        );
        let back: LogEntry = serde_json::from_slice(&e.canonical_bytes()).unwrap();
        assert_eq!(back, e);
    }

    /// The fast reader of ballot entries reads exactly what the strict
    /// reader reads, to the same entry and canonical encoding, and leaves
    /// everything else (valid or not) to it.
    #[test]
    fn the_fast_ballot_entry_reader_agrees_with_the_strict_one() {
        let t = "ab".repeat(32);
        let h = "0f".repeat(32);
        let entry = |seq: &str, time: &str, tracker: &str, hash: &str| {
            format!(r#"{{"seq":{seq},"time":{time},"type":"ballot","data":{{"tracker":"{tracker}"}},"hash":"{hash}"}}"#)
        };
        let read = [
            entry("0", "0", &t, &h),
            entry("12", "-3", &t, &h),
            entry("9223372036854775807", "-9223372036854775808", &t, &h),
            entry("4", "9223372036854775807", &t, &h),
        ];
        let left = [
            entry("01", "0", &t, &h),
            entry("1", "-0", &t, &h),
            entry("1", "00", &t, &h),
            entry("-1", "0", &t, &h),
            entry("1.0", "0", &t, &h),
            entry("1e3", "0", &t, &h),
            entry("1", "9223372036854775808", &t, &h),
            entry("1", "0", &t.to_uppercase(), &h),
            entry("1", "0", &t, &h.to_uppercase()),
            entry("1", "0", &t[..62], &h),
            entry("1", "0", &t, &h).replace(r#""type":"ballot","#, r#""type": "ballot","#),
            entry("1", "0", &t, &h).replace(r#""hash""#, r#""hash2""#),
            entry("1", "0", &t, &h).replace(r#""}"#, r#"","x":1}"#),
            format!(r#"{{"time":0,"seq":1,"type":"ballot","data":{{"tracker":"{t}"}},"hash":"{h}"}}"#),
            entry("1", "0", &t, &h) + " ",
            String::new(),
            // Twenty digits: read by the strict reader alone.
            entry("18446744073709551615", "1700000000", &t, &h),
        ];
        let mut canonical = Vec::new();
        for text in &read {
            let fast = ballot_entry_fast(text.as_bytes(), &mut canonical).expect(text);
            let strict: ChainedEntry = serde_json::from_str(text).expect(text);
            assert_eq!(fast, strict, "{text}");
            assert_eq!(canonical, strict.entry.canonical_bytes(), "{text}");
            assert_eq!(canonical, canonical::to_bytes(&strict.entry).unwrap(), "{text}");
        }
        for text in &left {
            assert!(ballot_entry_fast(text.as_bytes(), &mut canonical).is_none(), "{text}");
        }
        // Of those left, the strict reader reads some and refuses others.
        assert!(serde_json::from_str::<ChainedEntry>(&left[13]).is_ok());
        assert!(serde_json::from_str::<ChainedEntry>(&left[0]).is_err());
        assert!(serde_json::from_str::<ChainedEntry>(&left[7]).is_err());
        assert!(serde_json::from_str::<ChainedEntry>(&left[16]).is_ok());
    }

    #[test]
    fn ballot_entries_are_written_directly_but_canonically() {
        let e = LogEntry {
            seq: 12,
            time: -3,
            event: Event::Ballot {
                tracker: Digest([7; 32]),
            },
        };
        assert_eq!(e.canonical_bytes(), canonical::to_bytes(&e).unwrap());
    }

    #[test]
    fn ceremony_entries_read_back_and_exclusions_name_staff_only_for_absent() {
        let key = Element::from_point(curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT);
        let events = [
            Event::TrusteeNamed {
                trustee: 1,
                name: "Ada".into(),
                actor: "staff:ada".into(),
            },
            Event::CeremonyMessage {
                attempt: 1,
                trustee: 2,
                round: "deal".into(),
                message: Digest([3; 32]),
            },
            Event::TrusteeExcluded {
                attempt: 1,
                trustee: 3,
                rule: "bad-share".into(),
                actor: None,
            },
            Event::TrusteeExcluded {
                attempt: 2,
                trustee: 2,
                rule: "absent".into(),
                actor: Some("staff:ada".into()),
            },
            Event::CeremonyCompleted {
                attempt: 2,
                threshold: 2,
                joint_key: key,
                verification_keys: vec![KeyEntry { trustee: 1, key }],
            },
        ];
        for (seq, event) in events.into_iter().enumerate() {
            let e = LogEntry {
                seq: seq as u64,
                time: 5,
                event,
            };
            let back: LogEntry = serde_json::from_slice(&e.canonical_bytes()).unwrap();
            assert_eq!(back, e);
        }
        let refused = [
            r#"{"data":{"attempt":1,"trustee":3,"rule":"bad-share","actor":"staff:ada"},"seq":1,"time":5,"type":"trustee_excluded"}"#,
            r#"{"data":{"attempt":1,"trustee":3,"rule":"absent","actor":null},"seq":1,"time":5,"type":"trustee_excluded"}"#,
            r#"{"data":{"attempt":1,"trustee":3,"rule":"tired","actor":null},"seq":1,"time":5,"type":"trustee_excluded"}"#,
            r#"{"data":{"attempt":1,"trustee":3,"round":"decrypt","message":"0303030303030303030303030303030303030303030303030303030303030303"},"seq":1,"time":5,"type":"ceremony_message"}"#,
        ];
        for text in refused {
            assert!(serde_json::from_str::<LogEntry>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn the_chain_hash_covers_the_previous_hash() {
        let e = LogEntry {
            seq: 0,
            time: 0,
            event: Event::Seal { seal: 1, ballots: 0 },
        };
        assert_ne!(e.chain_hash(&GENESIS), e.chain_hash(&Digest([1; 32])));
    }
}
