//! An encrypted election after the close (audit/FORMAT.md §16.6–§16.9,
//! §16.12): the aggregate is formed from the cast ballots' running totals
//! (or, for an election opened before those were kept, from the ballots) as
//! part of the close and pinned by the `aggregated` log entry; trustees
//! fetch the decryption request, run `teller-audit trustee decrypt` on
//! their own machines and upload their partial decryptions, each checked
//! here (`check_partial`) and logged as accepted (`decryption_share`) or
//! refused with the reason (`decryption_refused`); the `K`th accepted share
//! is combined into the totals (§16.8), from which staff's tally is made
//! and published as a plain election's is (the `tallied` entry names the
//! staff member, as FORMAT.md §5 rule 6 asks).
//!
//! The server never holds a key share: what it stores and logs is what the
//! record publishes, and every step can be checked from it.

use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::definition::Definition;
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot};
use teller_audit::encrypted::fingerprint::FingerprintInput;
use teller_audit::log::Event;
use teller_audit::tally::Tally;
use teller_audit::trustees::board::Outcome;
use teller_audit::trustees::cli::REQUEST_FORMAT;
use teller_audit::trustees::decrypt::{
    check_partial, combine, Aggregate, Aggregator, DecryptBody, DecryptionRefusal, PartialDecryption,
};
use teller_audit::trustees::envelope::Envelope;
use teller_audit::trustees::TrusteeIndex;

use super::{lock_election, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::secrets::MasterSecret;
use crate::store::decryption::{self as store, RefusalRow, StoredAggregate, TotalEntry};
use crate::store::elections::{self, ElectionRow};
use crate::store::log::{self as logstore, HeadRow};
use crate::store::{corrupt, StoreError};

/// The largest partial decryption a trustee may upload: about 330 bytes a
/// target, so room for some 3,000 targets (contests × (options + 2)).
pub const MAX_SHARE_BYTES: usize = 1024 * 1024;

fn refused(code: &'static str, message: impl Into<String>) -> OpError {
    OpError::Ceremony {
        code,
        message: message.into(),
    }
}

fn internal(what: impl std::fmt::Display) -> OpError {
    StoreError::from(corrupt(what)).into()
}

/// The election fingerprint (§14.7) of `election` under `definition` and
/// the ceremony's keys: what every encrypted ballot and proof is bound to.
pub fn fingerprint(election: &str, definition: &Definition, outcome: &Outcome) -> Digest {
    let keys = outcome.verification_keys();
    FingerprintInput {
        election,
        definition_hash: definition.hash(),
        threshold: outcome.threshold,
        joint_key: outcome.joint_key,
        verification_keys: &keys,
    }
    .fingerprint()
}

/// The completed ceremony and the fingerprint of an encrypted election.
fn keys(conn: &mut AnyConnection, row: &ElectionRow, definition: &Definition) -> Result<(Outcome, Digest), OpError> {
    let outcome = super::ceremony::completed(conn, &row.id)?
        .ok_or_else(|| OpError::Refused("this election is not encrypted: it has no trustees".into()))?;
    let fp = fingerprint(&row.id, definition, &outcome);
    Ok((outcome, fp))
}

/// A stored ballot body (the published form, without `election`) as the
/// encrypted ballot it is.
fn ballot_of(election: &str, tracker: &str, body: &str) -> Result<EncryptedBallot, OpError> {
    let mut v: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(body).map_err(|e| internal(format!("ballot {tracker}: {e}")))?;
    v.insert("election".into(), serde_json::Value::String(election.to_string()));
    serde_json::from_value(serde_json::Value::Object(v)).map_err(|e| internal(format!("ballot {tracker}: {e}")))
}

/// Stored ballots read from the database at a time.
const PAGE: i64 = 5_000;

/// Decode the stored ballots and add them up, a page at a time (memory
/// stays bounded), half of each page on each of two threads (decoding a
/// point costs about 6 µs: it is most of the work); the two running sums
/// are merged at the end.
fn aggregate_ballots(
    conn: &mut AnyConnection,
    election: &str,
    shape: &BallotShape,
) -> Result<(Aggregate, u64, Weight), OpError> {
    let add = |a: &mut Aggregator, part: &[(String, String)]| -> Result<u128, OpError> {
        let mut weight = 0u128;
        for (tracker, body) in part {
            let ballot = ballot_of(election, tracker, body)?;
            weight += u128::from(ballot.weight.micros());
            a.add_ballot(&ballot)
                .map_err(|e| internal(format!("ballot {tracker}: {e}")))?;
        }
        Ok(weight)
    };
    let (mut mine, mut theirs) = (Aggregator::new(shape), Aggregator::new(shape));
    let mut weight = 0u128;
    let mut after = String::new();
    loop {
        let page = crate::store::ballots::sealed_rows_after(conn, election, &after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        let (first, second) = page.split_at(page.len().div_ceil(2));
        let (a, b) = std::thread::scope(|s| {
            let other = s.spawn(|| add(&mut theirs, second));
            let here = add(&mut mine, first);
            (here, other.join())
        });
        weight += a? + b.map_err(|_| internal("a thread adding ballots failed"))??;
    }
    mine.merge(theirs);
    let aggregate = mine.finish().map_err(internal)?;
    let weight = u64::try_from(weight)
        .ok()
        .and_then(Weight::from_micros)
        .ok_or_else(|| internal("the ballots' total weight is out of range"))?;
    Ok((aggregate, mine.ballots(), weight))
}

/// The aggregate from the running totals the casts kept (`ops::cast`),
/// when they hold exactly the ballots stored: no ballot is decoded again.
/// `None` for an election whose polls opened before the totals were kept
/// (or, were it ever so, totals that do not count every stored ballot):
/// the caller decodes them all.
fn from_running_totals(
    conn: &mut AnyConnection,
    election: &str,
    shape: &BallotShape,
) -> Result<Option<(Aggregate, u64, Weight)>, OpError> {
    let Some(totals) = super::cast::running_totals(conn, election, shape)? else {
        return Ok(None);
    };
    let stored = crate::store::ballots::count(conn, election)?;
    if totals.ballots() != stored {
        tracing::warn!(
            election,
            totals = totals.ballots(),
            stored,
            "the running totals do not count every stored ballot; decoding the ballots instead"
        );
        return Ok(None);
    }
    let weight: u128 = totals
        .state()
        .groups
        .iter()
        .map(|g| u128::from(g.weight.micros()) * u128::from(g.ballots))
        .sum();
    let weight = u64::try_from(weight)
        .ok()
        .and_then(Weight::from_micros)
        .ok_or_else(|| internal("the ballots' total weight is out of range"))?;
    let aggregate = totals.finish().map_err(internal)?;
    Ok(Some((aggregate, stored, weight)))
}

/// At the close of an encrypted election, with its head locked in the
/// closing transaction: form the aggregate of the cast ballots (§16.6),
/// store it and log `aggregated`. Trustees decrypt only what it pins.
pub(crate) fn aggregate_locked(
    conn: &mut AnyConnection,
    head: &mut HeadRow,
    row: &ElectionRow,
    now: i64,
) -> Result<(), OpError> {
    let definition = row.definition()?;
    let (_, fp) = keys(conn, row, &definition)?;
    let shape = BallotShape::of(&definition).map_err(internal)?;
    let (aggregate, ballots, weight) = match from_running_totals(conn, &row.id, &shape)? {
        Some(formed) => formed,
        None => aggregate_ballots(conn, &row.id, &shape)?,
    };
    let digest = aggregate.digest(&fp);
    store::insert_aggregate(conn, &row.id, ballots, weight, &aggregate, &digest)?;
    logstore::append(
        conn,
        head,
        vec![Event::Aggregated {
            aggregate_digest: digest,
            ballots,
            weight_decimals: aggregate.weight_decimals,
        }],
        now,
    )?;
    Ok(())
}

/// The decryption request (§16.12, `teller-decryption-request/1`), as
/// canonical JSON: the definition, every cast ballot with its election, by
/// tracker, and the aggregate. Exactly what `teller-audit trustee decrypt
/// --request` reads. Whole, in memory (about 14 KB a ballot): for tests
/// and small elections; the server streams it ([`RequestStream`]).
pub fn request(conn: &mut AnyConnection, election: &str) -> Result<Vec<u8>, OpError> {
    let mut out = Vec::new();
    write_request(conn, election, &mut out)?;
    Ok(out)
}

/// [`request`], written to `out` as the ballots are paged out of the
/// database.
pub fn write_request(conn: &mut AnyConnection, election: &str, out: &mut impl std::io::Write) -> Result<(), OpError> {
    let mut stream = RequestStream::open(conn, election)?;
    let write = |out: &mut dyn std::io::Write, bytes: &[u8]| {
        out.write_all(bytes)
            .map_err(|e| internal(format!("writing the decryption request: {e}")))
    };
    write(out, &stream.head())?;
    while let Some(part) = stream.next_page(conn, REQUEST_PAGE)? {
        write(out, &part)?;
    }
    write(out, &stream.tail()?)
}

/// Ballots read from the database at a time for the decryption request:
/// about 1.4 MB of text for ballots of the example election.
pub const REQUEST_PAGE: i64 = 100;

/// The decryption request produced a part at a time, so that the server
/// holds one page of ballots whatever their number: [`Self::head`], then
/// [`Self::next_page`] until it gives `None`, then [`Self::tail`]. The
/// concatenation is exactly [`request`]'s bytes.
///
/// Each page is read with whatever connection the caller passes, so a
/// slow download holds no connection between pages. The ballots cannot
/// change once the aggregate exists (the polls are closed); all the same,
/// [`Self::tail`] refuses to end the text unless exactly the aggregate's
/// number of ballots went out, so a request cut short or padded is never
/// completed into one that looks valid.
pub struct RequestStream {
    election: String,
    /// The election id, as canonical JSON.
    id: Vec<u8>,
    /// The definition, canonical already as stored.
    definition: String,
    aggregate: Vec<u8>,
    /// Ballots in the aggregate.
    expected: u64,
    /// Ballots written so far, and the last one's tracker.
    written: u64,
    after: String,
    done: bool,
}

impl RequestStream {
    /// Start the request of `election`: refused (changing nothing) when
    /// there is no such election or nothing to decrypt yet.
    pub fn open(conn: &mut AnyConnection, election: &str) -> Result<RequestStream, OpError> {
        let row = elections::find(conn, election)?.ok_or_else(|| OpError::NoSuchElection(election.to_string()))?;
        let stored = store::aggregate(conn, &row.id)?.ok_or_else(|| {
            refused(
                "not_closed",
                "there is nothing to decrypt yet: the decryption request is ready once the polls have closed",
            )
        })?;
        Ok(RequestStream {
            id: canonical(&row.id)?,
            aggregate: canonical(&stored.aggregate)?,
            expected: stored.ballots,
            election: row.id,
            definition: row.definition,
            written: 0,
            after: String::new(),
            done: false,
        })
    }

    /// The text before the first ballot. Members in canonical order:
    /// aggregate, ballots, definition, election, format.
    pub fn head(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.aggregate.len() + 32);
        out.extend_from_slice(b"{\"aggregate\":");
        out.extend_from_slice(&self.aggregate);
        out.extend_from_slice(b",\"ballots\":[");
        out
    }

    /// The next `limit` ballots' text (with the commas between them), or
    /// `None` when every ballot has been given.
    pub fn next_page(&mut self, conn: &mut AnyConnection, limit: i64) -> Result<Option<Vec<u8>>, OpError> {
        if self.done {
            return Ok(None);
        }
        let page = crate::store::ballots::sealed_rows_after(conn, &self.election, &self.after, limit)?;
        let Some(last) = page.last() else {
            self.done = true;
            return Ok(None);
        };
        self.after = last.0.clone();
        let mut out = Vec::with_capacity(page.iter().map(|(_, b)| b.len() + self.id.len() + 12).sum());
        for (tracker, body) in &page {
            // The stored body is canonical, its members contests,
            // fingerprint, format, nonce, weight: `election` goes before
            // the top-level fingerprint, the last one in the text (only
            // fixed members follow it).
            let at = body
                .rfind(",\"fingerprint\":\"")
                .ok_or_else(|| internal(format!("ballot {tracker} has no fingerprint")))?;
            if self.written > 0 {
                out.push(b',');
            }
            self.written += 1;
            out.extend_from_slice(&body.as_bytes()[..at]);
            out.extend_from_slice(b",\"election\":");
            out.extend_from_slice(&self.id);
            out.extend_from_slice(&body.as_bytes()[at..]);
        }
        Ok(Some(out))
    }

    /// The text after the last ballot; an error, and no text, unless
    /// every ballot was given and exactly the aggregate's number.
    pub fn tail(&self) -> Result<Vec<u8>, OpError> {
        if !self.done || self.written != self.expected {
            return Err(internal(format!(
                "the decryption request of {} gave {} ballots where its aggregate has {}",
                self.election, self.written, self.expected
            )));
        }
        let mut out = Vec::with_capacity(self.definition.len() + 128);
        out.extend_from_slice(b"],\"definition\":");
        out.extend_from_slice(self.definition.as_bytes());
        out.extend_from_slice(b",\"election\":");
        out.extend_from_slice(&self.id);
        out.extend_from_slice(b",\"format\":");
        out.extend(canonical(&REQUEST_FORMAT)?);
        out.push(b'}');
        Ok(out)
    }
}

fn canonical<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, OpError> {
    teller_audit::canonical::to_bytes(value).map_err(internal)
}

/// Where the decryption stands, for trustees and staff.
#[derive(Debug, Clone)]
pub struct Progress {
    /// `K`.
    pub threshold: u32,
    /// Ballots in the aggregate.
    pub ballots: u64,
    /// The aggregate digest, as logged.
    pub digest: Digest,
    /// Trustees whose shares were accepted, in the order accepted.
    pub accepted: Vec<TrusteeIndex>,
    /// Refused shares, in order.
    pub refusals: Vec<RefusalRow>,
    /// Whether the totals are decrypted.
    pub decrypted: bool,
}

/// The decryption's progress: `None` for a plain election or before the close.
pub fn progress(conn: &mut AnyConnection, election: &str) -> Result<Option<Progress>, OpError> {
    let Some(params) = crate::store::ceremony::parameters(conn, election)? else {
        return Ok(None);
    };
    let Some(stored) = store::aggregate(conn, election)? else {
        return Ok(None);
    };
    Ok(Some(Progress {
        threshold: params.threshold,
        ballots: stored.ballots,
        digest: stored.digest,
        accepted: store::shares(conn, election)?.iter().map(|e| e.trustee).collect(),
        refusals: store::refusals(conn, election)?,
        decrypted: stored.totals.is_some(),
    }))
}

/// What an accepted partial decryption led to.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Its digest, as logged.
    pub digest: Digest,
    /// Shares accepted so far.
    pub accepted: usize,
    /// `K`.
    pub threshold: u32,
    /// Whether this share completed the decryption: the totals are
    /// decrypted and staff can publish the tally.
    pub decrypted: bool,
}

/// What the transaction decided: kept, or refused and logged as refused.
enum Decided {
    Accepted(Accepted),
    Refused(DecryptionRefusal),
}

/// Post trustee `trustee`'s partial decryption (the bytes it uploaded).
/// A share `check_partial` refuses is logged as refused, and the refusal
/// returned (`share_refused`, naming the reason and the first failing
/// target); a file that is not a `decrypt` message of this trustee, or a
/// second share, changes nothing. The `K`th accepted share is combined
/// into the totals in the same transaction.
pub fn post_share(
    conn: &mut AnyConnection,
    election: &str,
    trustee: TrusteeIndex,
    bytes: &[u8],
    now: i64,
) -> Result<Accepted, OpError> {
    if bytes.len() > MAX_SHARE_BYTES {
        return Err(refused(
            "too_large",
            format!("a partial decryption is at most {MAX_SHARE_BYTES} bytes"),
        ));
    }
    let envelope: Envelope = teller_audit::verify::read_strict(bytes, "message")
        .map_err(|e| refused("unreadable", format!("the file is not a partial decryption: {e}")))?;
    if envelope.trustee != trustee {
        return Err(refused(
            "not_your_message",
            format!(
                "this message is trustee {}'s, and you signed in as trustee {trustee}; upload your own partial decryption",
                envelope.trustee
            ),
        ));
    }
    let decided = write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        let state = row.state()?;
        let stored = match store::aggregate(conn, &row.id)? {
            Some(s) if s.totals.is_none() && state == State::Closed => s,
            Some(_) => {
                return Err(refused(
                    "decrypted",
                    "the totals are decrypted already: no more partial decryptions are needed",
                ))
            }
            None => {
                return Err(refused(
                    "not_closed",
                    "there is nothing to decrypt yet: partial decryptions are taken once the polls have closed",
                ))
            }
        };
        let shares = store::shares(conn, &row.id)?;
        if shares.iter().any(|e| e.trustee == trustee) {
            return Err(refused(
                "duplicate_share",
                "your partial decryption is accepted already; one from each trustee is all that is needed",
            ));
        }
        let definition = row.definition()?;
        let (outcome, fp) = keys(conn, &row, &definition)?;
        match check_partial(&outcome, &fp, &stored.aggregate, &envelope) {
            Err(refusal) => {
                store::append_refusal(
                    conn,
                    &row.id,
                    &RefusalRow {
                        trustee: refusal.trustee,
                        reason: refusal.reason.name().to_string(),
                        target: refusal.target.map(|t| t as u32),
                        detail: refusal.detail.clone(),
                        received_at: now,
                    },
                )?;
                logstore::append(
                    conn,
                    &mut head,
                    vec![Event::DecryptionRefused {
                        trustee: refusal.trustee,
                        reason: refusal.reason.name().to_string(),
                        target: refusal.target.map(|t| t as u32),
                    }],
                    now,
                )?;
                Ok(Decided::Refused(refusal))
            }
            Ok(_) => {
                let digest = envelope.digest();
                store::append_share(conn, &row.id, &envelope, now)?;
                logstore::append(
                    conn,
                    &mut head,
                    vec![Event::DecryptionShare {
                        trustee,
                        message: digest,
                    }],
                    now,
                )?;
                let accepted = shares.len() + 1;
                let decrypted = accepted >= outcome.threshold as usize;
                if decrypted {
                    let mut all = shares;
                    all.push(envelope.clone());
                    decrypt(conn, &row, &outcome, &stored, &all)?;
                }
                Ok(Decided::Accepted(Accepted {
                    digest,
                    accepted,
                    threshold: outcome.threshold,
                    decrypted,
                }))
            }
        }
    })?;
    match decided {
        Decided::Accepted(a) => Ok(a),
        Decided::Refused(r) => Err(refused(
            "share_refused",
            format!(
                "your partial decryption is refused ({}{}): {}. Nothing was kept; check that you ran `teller-audit trustee decrypt` on the board and request downloaded from this election, then upload the file it wrote",
                r.reason.name(),
                r.target.map(|t| format!(", target {t}")).unwrap_or_default(),
                r.detail
            ),
        )),
    }
}

/// Combine the accepted shares (each checked when accepted) into the
/// totals (§16.8) and store them.
fn decrypt(
    conn: &mut AnyConnection,
    row: &ElectionRow,
    outcome: &Outcome,
    stored: &StoredAggregate,
    shares: &[Envelope],
) -> Result<(), OpError> {
    let partials = shares
        .iter()
        .map(|e| {
            let body: DecryptBody = teller_audit::trustees::ceremony::read_body(&e.body).map_err(internal)?;
            Ok(PartialDecryption {
                trustee: e.trustee,
                factors: body.factors.into_iter().map(|f| f.factor).collect(),
            })
        })
        .collect::<Result<Vec<_>, OpError>>()?;
    let totals = combine(outcome, &stored.aggregate, &partials).map_err(internal)?;
    let entries: Vec<TotalEntry> = totals
        .values
        .iter()
        .enumerate()
        .map(|(i, &value)| TotalEntry {
            target: i as u32,
            trustees: totals.trustees.clone(),
            value,
        })
        .collect();
    store::set_totals(conn, &row.id, &entries)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn tally_from(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    head: &mut HeadRow,
    row: &ElectionRow,
    definition: &Definition,
    stored: &StoredAggregate,
    totals: &teller_audit::trustees::decrypt::Totals,
    actor: &str,
    now: i64,
) -> Result<Tally, OpError> {
    let seed = secret.lot_seed(&row.id, &row.lot_seed)?;
    let result = teller_audit::tally::encrypted::tally(
        &row.id,
        definition,
        &stored.aggregate,
        totals,
        stored.ballots,
        stored.weight,
        &seed,
    )
    .map_err(internal)?;
    super::lifecycle::publish_tally(conn, secret, head, row, &result, seed, actor, now)?;
    Ok(result)
}

/// Staff's tally of an encrypted election (head locked, state closed):
/// from the decrypted totals, or refused while the trustees have not
/// decrypted them.
pub(crate) fn tally_locked(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    head: &mut HeadRow,
    row: &ElectionRow,
    actor: &str,
    now: i64,
) -> Result<Tally, OpError> {
    let params = crate::store::ceremony::parameters(conn, &row.id)?
        .ok_or_else(|| OpError::Refused("this election is not encrypted".into()))?;
    let stored = store::aggregate(conn, &row.id)?
        .ok_or_else(|| internal("an encrypted election closed without its aggregate"))?;
    let Some(entries) = &stored.totals else {
        let have = store::shares(conn, &row.id)?.len();
        return Err(OpError::Refused(format!(
            "waiting for the trustees' decryption: {have} of {} partial decryptions accepted; the result is published when {} trustees have decrypted",
            params.threshold, params.threshold
        )));
    };
    let totals = teller_audit::trustees::decrypt::Totals {
        trustees: entries.first().map(|e| e.trustees.clone()).unwrap_or_default(),
        values: entries.iter().map(|e| e.value).collect(),
    };
    let definition = row.definition()?;
    tally_from(conn, secret, head, row, &definition, &stored, &totals, actor, now)
}
