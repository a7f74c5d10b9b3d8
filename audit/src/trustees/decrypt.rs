//! The tally under encryption (§16.6–§16.8): the encrypted totals, each
//! trustee's partial decryption with its proof, and their combination.
//!
//! - [`Aggregator`] multiplies the cast ballots' ciphertexts per option and
//!   per contest indicator, each raised to the ballot's weight (an exact
//!   integer after scaling by `10^d`), into the [`Aggregate`]'s targets.
//! - [`partial_decrypt`]: trustee `j` computes `M_j = A^{x_j}` for every
//!   target with a DLEQ proof that `log_g K_j = log_A M_j`.
//! - [`check_partial`]: the server's (and a verifier's) check of an
//!   uploaded partial decryption; a refusal names the trustee, the reason
//!   and the first failing target.
//! - [`combine`]: with the `K` lowest accepted indices `Q`, the Lagrange
//!   coefficients at 0 give `M = Π M_j^{λ_j} = A^x`, and `t` is the bounded
//!   discrete log of `B / M` ([`super::dlog`]).

use std::collections::BTreeMap;

use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use serde::{Deserialize, Serialize};

use super::board::Outcome;
use super::ceremony::{read_body, KeyShare, TrusteeSecret};
use super::dlog::{BoundTooLarge, DlogTable};
use super::envelope::{Envelope, Round, ENVELOPE_FORMAT};
use super::proofs::DleqProof;
use super::TrusteeIndex;
use crate::count::{Weight, WEIGHT_DECIMALS};
use crate::crypto::Digest;
use crate::encrypted::ballot::{BallotShape, ContestShape, EncryptedBallot};
use crate::encrypted::elgamal::{Ciphertext, RawCiphertext};
use crate::encrypted::group::{g_pow, int, Element, RandomSource, RistrettoPoint, Scalar};
use crate::encrypted::hash::{tag, Framer};

/// What a target totals (§16.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// An option's weighted votes.
    Option,
    /// The contest's cast weight (ballots that marked anything, weighted).
    IndicatorWeight,
    /// The number of ballots that marked anything in the contest.
    IndicatorCount,
}

impl TargetKind {
    /// The kind's name, as written and hashed.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Option => "option",
            TargetKind::IndicatorWeight => "indicator-weight",
            TargetKind::IndicatorCount => "indicator-count",
        }
    }
}

/// One encrypted total:
/// `{"contest", "kind", "option": id | null, "alpha", "beta", "bound"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The contest.
    pub contest: String,
    /// What it totals.
    pub kind: TargetKind,
    /// The option, for kind `option`; `null` otherwise.
    pub option: Option<String>,
    /// `A`.
    pub alpha: Element,
    /// `B`.
    pub beta: Element,
    /// The most it can decrypt to.
    pub bound: u64,
}

/// The encrypted totals: `{"weight_decimals": d, "targets": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    /// `d`: weights are scaled by `10^d` to integers.
    pub weight_decimals: u32,
    /// For each contest in definition order: its options in option order,
    /// then `indicator-weight`, then `indicator-count`.
    pub targets: Vec<Target>,
}

impl Aggregate {
    /// `H256("teller/aggregate/v1"; raw(fp), u32(d), list(str(contest),
    /// str(kind), str(option or ""), elt(A), elt(B), u64(bound) per target))`.
    pub fn digest(&self, fp: &Digest) -> Digest {
        let mut h = Framer::h256(tag::AGGREGATE);
        h.raw(&fp.0).u32(self.weight_decimals).list(self.targets.len());
        for t in &self.targets {
            h.str(&t.contest)
                .str(t.kind.name())
                .str(t.option.as_deref().unwrap_or(""))
                .elt(&t.alpha)
                .elt(&t.beta)
                .u64(t.bound);
        }
        Digest(h.digest())
    }

    /// The largest bound of any target.
    pub fn max_bound(&self) -> u64 {
        self.targets.iter().map(|t| t.bound).max().unwrap_or(0)
    }
}

/// Ciphertexts per ballot for this shape: each contest's options, then
/// its indicator.
pub fn ciphertexts_per_ballot(shape: &BallotShape) -> usize {
    shape.contests.iter().map(|c| c.options.len() + 1).sum()
}

/// Why the totals cannot be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    /// A ballot has the wrong number of ciphertexts.
    #[error("a ballot has {found} ciphertexts where the definition gives {expected}")]
    Shape {
        /// How many it has.
        found: usize,
        /// How many the shapes give.
        expected: usize,
    },
    /// A bound does not fit in 64 bits.
    #[error("the bound of contest {0} does not fit in 64 bits")]
    Bound(String),
}

/// The ballots of one weight, multiplied together.
#[derive(Clone)]
struct Group {
    ballots: u64,
    products: Vec<RawCiphertext>,
}

/// An [`Aggregator`]'s running products, encoded:
/// `{"groups": [{"weight": "2.5", "ballots": n, "products": [{"alpha", "beta"}, …]}, …]}`,
/// the products in ballot order (per contest, its options then its indicator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregatorState {
    /// One per weight, by increasing weight.
    pub groups: Vec<WeightGroup>,
}

/// The ballots of one weight, multiplied together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightGroup {
    /// The weight.
    pub weight: Weight,
    /// How many ballots.
    pub ballots: u64,
    /// The products of their ciphertexts, in ballot order.
    pub products: Vec<Ciphertext>,
}

/// Multiplies cast ballots into the encrypted totals. Ballots are grouped
/// by weight first (elections have few distinct weights), so that each
/// target then costs one multiscalar multiplication over the weights.
#[derive(Clone)]
pub struct Aggregator {
    shapes: Vec<ContestShape>,
    // Ciphertexts per ballot.
    width: usize,
    groups: BTreeMap<u64, Group>,
}

impl Aggregator {
    /// An empty aggregate for the contests of `shape` (§14.8).
    pub fn new(shape: &BallotShape) -> Aggregator {
        let width = ciphertexts_per_ballot(shape);
        Aggregator {
            shapes: shape.contests.clone(),
            width,
            groups: BTreeMap::new(),
        }
    }

    /// Add a cast ballot of `weight` whose ciphertexts are, per contest in
    /// order, its options then its indicator.
    pub fn add(&mut self, weight: Weight, ciphertexts: &[RawCiphertext]) -> Result<(), AggregateError> {
        if ciphertexts.len() != self.width {
            return Err(AggregateError::Shape {
                found: ciphertexts.len(),
                expected: self.width,
            });
        }
        let group = self.group(weight);
        for (p, c) in group.products.iter_mut().zip(ciphertexts) {
            p.alpha += c.alpha;
            p.beta += c.beta;
        }
        Ok(())
    }

    /// Add a cast ballot, whose shape the caller has checked
    /// (`CastContext::check_shape`); its contests and options in order.
    pub fn add_ballot(&mut self, ballot: &EncryptedBallot) -> Result<(), AggregateError> {
        let found: usize = ballot.contests.iter().map(|c| c.selections.len() + 1).sum();
        if found != self.width {
            return Err(AggregateError::Shape {
                found,
                expected: self.width,
            });
        }
        let group = self.group(ballot.weight);
        let ciphertexts = ballot.contests.iter().flat_map(|c| {
            c.selections
                .iter()
                .map(|s| (&s.alpha, &s.beta))
                .chain([(&c.indicator.alpha, &c.indicator.beta)])
        });
        for (p, (alpha, beta)) in group.products.iter_mut().zip(ciphertexts) {
            p.alpha += alpha.point();
            p.beta += beta.point();
        }
        Ok(())
    }

    /// The group of ballots of `weight`, counting one more ballot.
    fn group(&mut self, weight: Weight) -> &mut Group {
        let width = self.width;
        let group = self.groups.entry(weight.micros()).or_insert_with(|| Group {
            ballots: 0,
            products: vec![RawCiphertext::identity(); width],
        });
        group.ballots += 1;
        group
    }

    /// Add another aggregator's ballots (for aggregating in parallel).
    pub fn merge(&mut self, other: Aggregator) {
        for (weight, group) in other.groups {
            match self.groups.get_mut(&weight) {
                Some(mine) => {
                    mine.ballots += group.ballots;
                    for (p, c) in mine.products.iter_mut().zip(&group.products) {
                        p.alpha += c.alpha;
                        p.beta += c.beta;
                    }
                }
                None => {
                    self.groups.insert(weight, group);
                }
            }
        }
    }

    /// What it holds, encoded: for a server that aggregates as ballots are
    /// cast (their check decoded them already) and keeps the running
    /// products across restarts, instead of decoding every ballot again at
    /// the close.
    pub fn state(&self) -> AggregatorState {
        AggregatorState {
            groups: self
                .groups
                .iter()
                .map(|(&micros, g)| WeightGroup {
                    weight: Weight::from_micros(micros).unwrap_or(Weight::ZERO),
                    ballots: g.ballots,
                    products: g.products.iter().map(RawCiphertext::encode).collect(),
                })
                .collect(),
        }
    }

    /// An aggregator holding `state` again.
    pub fn restore(shape: &BallotShape, state: &AggregatorState) -> Result<Aggregator, AggregateError> {
        let mut a = Aggregator::new(shape);
        for g in &state.groups {
            if g.products.len() != a.width {
                return Err(AggregateError::Shape {
                    found: g.products.len(),
                    expected: a.width,
                });
            }
            a.groups.insert(
                g.weight.micros(),
                Group {
                    ballots: g.ballots,
                    products: g.products.iter().map(Ciphertext::raw).collect(),
                },
            );
        }
        Ok(a)
    }

    /// The number of ballots added.
    pub fn ballots(&self) -> u64 {
        self.groups.values().map(|g| g.ballots).sum()
    }

    /// `d`: the most decimals of any ballot's weight (as written
    /// canonically, without trailing zeros), 0 if there is none.
    pub fn weight_decimals(&self) -> u32 {
        self.groups.keys().map(|&micros| decimals(micros)).max().unwrap_or(0)
    }

    /// The targets (§16.6).
    pub fn finish(&self) -> Result<Aggregate, AggregateError> {
        let d = self.weight_decimals();
        let divisor = 10u64.pow(WEIGHT_DECIMALS - d);
        // e = weight × 10^d for each group, with its ballot count.
        let groups: Vec<(u64, &Group)> = self.groups.iter().map(|(&m, g)| (m / divisor, g)).collect();
        let weights: Vec<u64> = groups.iter().map(|(e, _)| *e).collect();
        let total_weight: u128 = groups.iter().map(|(e, g)| u128::from(*e) * u128::from(g.ballots)).sum();
        let total_ballots: u128 = groups.iter().map(|(_, g)| u128::from(g.ballots)).sum();
        let weighted = |index: usize| {
            let alphas: Vec<RistrettoPoint> = groups.iter().map(|(_, g)| g.products[index].alpha).collect();
            let betas: Vec<RistrettoPoint> = groups.iter().map(|(_, g)| g.products[index].beta).collect();
            (weighted_sum(&weights, &alphas), weighted_sum(&weights, &betas))
        };
        let counted = |index: usize| {
            groups
                .iter()
                .fold(RawCiphertext::identity(), |acc, (_, g)| acc.mul(&g.products[index]))
        };
        let mut targets = Vec::new();
        let mut index = 0;
        for shape in &self.shapes {
            let bound = |total: u128| u64::try_from(total).map_err(|_| AggregateError::Bound(shape.id.clone()));
            let option_bound = bound(total_weight * u128::from(shape.per_option))?;
            let target = |kind, option: Option<&String>, (a, b): (RistrettoPoint, RistrettoPoint), bound| Target {
                contest: shape.id.clone(),
                kind,
                option: option.cloned(),
                alpha: Element::from_point(a),
                beta: Element::from_point(b),
                bound,
            };
            for option in &shape.options {
                targets.push(target(TargetKind::Option, Some(option), weighted(index), option_bound));
                index += 1;
            }
            targets.push(target(
                TargetKind::IndicatorWeight,
                None,
                weighted(index),
                bound(total_weight)?,
            ));
            let c = counted(index);
            targets.push(target(
                TargetKind::IndicatorCount,
                None,
                (c.alpha, c.beta),
                bound(total_ballots)?,
            ));
            index += 1;
        }
        Ok(Aggregate {
            weight_decimals: d,
            targets,
        })
    }
}

/// `Σ e_i · P_i` for integer weights `e_i < 2^64`, by the bucket method
/// over only the bits the largest weight has: with many distinct weights
/// this is several times faster than a multiscalar multiplication over
/// 256-bit scalars. Variable time: the weights and points are public.
pub fn weighted_sum(weights: &[u64], points: &[RistrettoPoint]) -> RistrettoPoint {
    let n = weights.len().min(points.len());
    let bits = 64 - weights.iter().max().copied().unwrap_or(0).leading_zeros();
    if n == 0 || bits == 0 {
        return RistrettoPoint::identity();
    }
    if n < 16 {
        let scalars: Vec<Scalar> = weights[..n].iter().map(|&e| int(e)).collect();
        return RistrettoPoint::vartime_multiscalar_mul(&scalars, &points[..n]);
    }
    // A window of about log2(n) − 3 bits balances n additions per window
    // against the 2^(w+1) of summing its buckets.
    let w = (usize::BITS - n.leading_zeros()).saturating_sub(4).clamp(1, 14);
    let windows = bits.div_ceil(w);
    let mask = (1u64 << w) - 1;
    let mut result = RistrettoPoint::identity();
    let mut buckets = vec![RistrettoPoint::identity(); 1 << w];
    for window in (0..windows).rev() {
        for _ in 0..w {
            result = result + result;
        }
        buckets.iter_mut().for_each(|b| *b = RistrettoPoint::identity());
        for (&e, p) in weights[..n].iter().zip(&points[..n]) {
            let digit = ((e >> (window * w)) & mask) as usize;
            if digit != 0 {
                buckets[digit] += p;
            }
        }
        // Σ_d d·bucket_d as running sums from the top.
        let (mut running, mut sum) = (RistrettoPoint::identity(), RistrettoPoint::identity());
        for b in buckets[1..].iter().rev() {
            running += b;
            sum += running;
        }
        result += sum;
    }
    result
}

/// The decimals of a weight of `micros` micro-votes, written without
/// trailing zeros (`2.5` → 1, `1` → 0, `0.000001` → 6).
pub fn decimals(micros: u64) -> u32 {
    let mut d = WEIGHT_DECIMALS;
    let mut m = micros;
    while d > 0 && m % 10 == 0 {
        m /= 10;
        d -= 1;
    }
    d
}

/// Aggregate cast ballots (their shapes checked) on up to two threads.
pub fn aggregate(shape: &BallotShape, ballots: &[EncryptedBallot]) -> Result<Aggregate, AggregateError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 2);
    let chunk = ballots.len().div_ceil(threads).max(1);
    let parts: Vec<Option<Result<Aggregator, AggregateError>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ballots
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut a = Aggregator::new(shape);
                    for ballot in part {
                        a.add_ballot(ballot)?;
                    }
                    Ok(a)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok()).collect()
    });
    let mut total = Aggregator::new(shape);
    if parts.iter().any(Option::is_none) {
        // A thread died: aggregate on this one instead.
        for ballot in ballots {
            total.add_ballot(ballot)?;
        }
        return total.finish();
    }
    for part in parts.into_iter().flatten() {
        total.merge(part?);
    }
    total.finish()
}

// ---------------------------------------------------------------- partial decryptions

/// `decrypt`'s body: the aggregate digest and one factor per target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptBody {
    /// The aggregate digest decrypted.
    pub aggregate: Digest,
    /// `{"factor": E(M_j), "proof": {...}}` per target, in target order.
    pub factors: Vec<Factor>,
}

/// One target's decryption factor with its proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    /// `M_j = A^{x_j}`.
    pub factor: Element,
    /// `log_g K_j = log_A M_j` ([`decryption_challenge`]).
    pub proof: DleqProof,
}

/// `c = HS("teller/decryption-proof/v1"; raw(fp), u32(j), str(contest),
/// str(kind), str(option or ""), elt(A), elt(B), elt(K_j), elt(M_j), elt(a), elt(b))`.
pub fn decryption_challenge(
    fp: &Digest,
    j: TrusteeIndex,
    target: &Target,
    key: &Element,
    factor: &Element,
    a: &Element,
    b: &Element,
) -> Scalar {
    let mut h = Framer::hs(tag::DECRYPTION_PROOF);
    h.raw(&fp.0)
        .u32(j)
        .str(&target.contest)
        .str(target.kind.name())
        .str(target.option.as_deref().unwrap_or(""))
        .elt(&target.alpha)
        .elt(&target.beta)
        .elt(key)
        .elt(factor)
        .elt(a)
        .elt(b);
    h.scalar()
}

/// Trustee `j`'s `decrypt` message (§16.7): `M_j = A^{x_j}` with its proof
/// for every target, drawing one nonce per target in order.
pub fn partial_decrypt(
    secret: &TrusteeSecret,
    share: &KeyShare,
    fp: &Digest,
    aggregate: &Aggregate,
    rng: &mut dyn RandomSource,
) -> Envelope {
    let j = share.trustee;
    let factors = aggregate
        .targets
        .iter()
        .map(|t| {
            let factor = Element::from_point(t.alpha.point() * *share.secret);
            let proof = DleqProof::prove(&share.secret, &t.alpha, rng, |a, b| {
                decryption_challenge(fp, j, t, &share.verification_key, &factor, a, b)
            });
            Factor { factor, proof }
        })
        .collect();
    let body = DecryptBody {
        aggregate: aggregate.digest(fp),
        factors,
    };
    secret.sign(share.attempt, Round::Decrypt, &body)
}

/// An accepted partial decryption: one factor per target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialDecryption {
    /// The trustee.
    pub trustee: TrusteeIndex,
    /// `M_j` per target.
    pub factors: Vec<Element>,
}

/// Why a partial decryption is refused (`decryption_refused.reason`, §16.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// Not a `teller-ceremony/1` `decrypt` envelope for this election and
    /// the completing attempt.
    Envelope,
    /// The sender is not a trustee of the completing attempt.
    NotMember,
    /// The signature is not the trustee's.
    Signature,
    /// The body does not have the shape of §16.7.
    Malformed,
    /// It decrypts another aggregate.
    Aggregate,
    /// It has a factor count other than the number of targets.
    Count,
    /// A factor's proof fails.
    Proof,
}

impl RefusalReason {
    /// The reason's name, as logged.
    pub fn name(self) -> &'static str {
        match self {
            RefusalReason::Envelope => "envelope",
            RefusalReason::NotMember => "not-a-trustee",
            RefusalReason::Signature => "signature",
            RefusalReason::Malformed => "malformed",
            RefusalReason::Aggregate => "aggregate-digest",
            RefusalReason::Count => "factor-count",
            RefusalReason::Proof => "proof",
        }
    }
}

/// A refused partial decryption: who, why, and the first failing target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trustee {trustee}'s partial decryption is refused ({}): {detail}", reason.name())]
pub struct DecryptionRefusal {
    /// The sender.
    pub trustee: TrusteeIndex,
    /// Why.
    pub reason: RefusalReason,
    /// The first target at fault, for [`RefusalReason::Proof`].
    pub target: Option<usize>,
    /// In words.
    pub detail: String,
}

/// Check an uploaded `decrypt` message against the ceremony's outcome,
/// the fingerprint and the aggregate (§16.7).
pub fn check_partial(
    outcome: &Outcome,
    fp: &Digest,
    aggregate: &Aggregate,
    e: &Envelope,
) -> Result<PartialDecryption, DecryptionRefusal> {
    let j = e.trustee;
    let refuse = |reason, target: Option<usize>, detail: String| DecryptionRefusal {
        trustee: j,
        reason,
        target,
        detail,
    };
    if e.format != ENVELOPE_FORMAT || e.round != Round::Decrypt || e.election != outcome.election {
        return Err(refuse(
            RefusalReason::Envelope,
            None,
            "not a decrypt message of this election".into(),
        ));
    }
    if e.attempt != outcome.attempt {
        return Err(refuse(
            RefusalReason::Envelope,
            None,
            format!(
                "it names attempt {}, the ceremony completed in attempt {}",
                e.attempt, outcome.attempt
            ),
        ));
    }
    let member = outcome.member(j).ok_or_else(|| {
        refuse(
            RefusalReason::NotMember,
            None,
            format!("trustee {j} is not a trustee of the completed ceremony"),
        )
    })?;
    if !e.signed_by(&member.signing_key) {
        return Err(refuse(
            RefusalReason::Signature,
            None,
            "the signature is not the trustee's".into(),
        ));
    }
    let body: DecryptBody = read_body(&e.body).map_err(|d| refuse(RefusalReason::Malformed, None, d))?;
    if body.aggregate != aggregate.digest(fp) {
        return Err(refuse(
            RefusalReason::Aggregate,
            None,
            "it decrypts another aggregate than the one logged".into(),
        ));
    }
    if body.factors.len() != aggregate.targets.len() {
        return Err(refuse(
            RefusalReason::Count,
            None,
            format!(
                "it has {} factors for {} targets",
                body.factors.len(),
                aggregate.targets.len()
            ),
        ));
    }
    let key = &member.verification_key;
    for (n, (f, t)) in body.factors.iter().zip(&aggregate.targets).enumerate() {
        let holds = f.proof.verify(key, &t.alpha, &f.factor, |a, b| {
            decryption_challenge(fp, j, t, key, &f.factor, a, b)
        });
        if !holds {
            return Err(refuse(
                RefusalReason::Proof,
                Some(n),
                format!(
                    "the proof for target {n} ({} {} {}) fails",
                    t.contest,
                    t.kind.name(),
                    t.option.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    Ok(PartialDecryption {
        trustee: j,
        factors: body.factors.into_iter().map(|f| f.factor).collect(),
    })
}

// ---------------------------------------------------------------- combination

/// `λ_j = Π_{m∈Q, m≠j} m · (m − j)^{-1} mod ℓ` for each `j` of `Q` (distinct).
pub fn lagrange_at_zero(q: &[TrusteeIndex]) -> Vec<Scalar> {
    q.iter()
        .map(|&j| {
            let (mut num, mut den) = (Scalar::ONE, Scalar::ONE);
            for &m in q.iter().filter(|&&m| m != j) {
                num *= int(u64::from(m));
                den *= int(u64::from(m)) - int(u64::from(j));
            }
            num * den.invert()
        })
        .collect()
}

/// `B / Π_{j∈Q} M_j^{λ_j}` for one target: `g^t` when the factors are right.
pub fn combined_point(target: &Target, lambdas: &[Scalar], factors: &[&Element]) -> RistrettoPoint {
    let m = RistrettoPoint::vartime_multiscalar_mul(lambdas, factors.iter().map(|f| *f.point()));
    target.beta.point() - m
}

/// The decrypted totals: `Q` and one `t` per target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// `Q`: the `K` lowest indices among the accepted shares.
    pub trustees: Vec<TrusteeIndex>,
    /// `t` per target, in target order.
    pub values: Vec<u64>,
}

/// Why the totals cannot be combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CombineError {
    /// Fewer than `K` accepted partial decryptions.
    #[error("{have} partial decryption(s) from distinct trustees; {need} are needed")]
    TooFew {
        /// Distinct trustees with an accepted share.
        have: usize,
        /// `K`.
        need: u32,
    },
    /// A partial decryption has the wrong number of factors.
    #[error("trustee {0}'s partial decryption has the wrong number of factors")]
    Count(TrusteeIndex),
    /// A bound is beyond the discrete log's reach.
    #[error(transparent)]
    Bound(#[from] BoundTooLarge),
    /// No `t ≤ bound`: impossible with valid proofs (an internal error).
    #[error("target {0} decrypts to no value within its bound: an internal error, since every proof held")]
    NoLog(usize),
}

/// `Q` for these accepted shares: the `K` lowest distinct indices.
pub fn quorum(partials: &[PartialDecryption], threshold: u32) -> Result<Vec<TrusteeIndex>, CombineError> {
    let mut q: Vec<TrusteeIndex> = partials.iter().map(|p| p.trustee).collect();
    q.sort_unstable();
    q.dedup();
    if q.len() < threshold as usize {
        return Err(CombineError::TooFew {
            have: q.len(),
            need: threshold,
        });
    }
    q.truncate(threshold as usize);
    Ok(q)
}

/// Combine accepted partial decryptions into the totals (§16.8): `Q`, the
/// Lagrange coefficients, `T = B / M`, and the bounded discrete log.
pub fn combine(
    outcome: &Outcome,
    aggregate: &Aggregate,
    partials: &[PartialDecryption],
) -> Result<Totals, CombineError> {
    let q = quorum(partials, outcome.threshold)?;
    let lambdas = lagrange_at_zero(&q);
    let chosen: Vec<&PartialDecryption> = q
        .iter()
        .filter_map(|j| partials.iter().find(|p| p.trustee == *j))
        .collect();
    if let Some(p) = chosen.iter().find(|p| p.factors.len() != aggregate.targets.len()) {
        return Err(CombineError::Count(p.trustee));
    }
    let table = DlogTable::new(aggregate.max_bound())?;
    let points: Vec<(usize, RistrettoPoint, u64)> = aggregate
        .targets
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let factors: Vec<&Element> = chosen.iter().map(|p| &p.factors[n]).collect();
            (n, combined_point(t, &lambdas, &factors), t.bound)
        })
        .collect();
    // The searches are independent: two threads share the table.
    let half = points.len().div_ceil(2).max(1);
    let found: Vec<Option<Vec<Option<u64>>>> = std::thread::scope(|scope| {
        let table = &table;
        let handles: Vec<_> = points
            .chunks(half)
            .map(|part| scope.spawn(move || part.iter().map(|(_, p, b)| table.solve(p, *b)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().map(|h| h.join().ok()).collect()
    });
    let values = if found.iter().all(Option::is_some) {
        found.into_iter().flatten().flatten().collect::<Vec<Option<u64>>>()
    } else {
        points.iter().map(|(_, p, b)| table.solve(p, *b)).collect()
    };
    let values = values
        .into_iter()
        .enumerate()
        .map(|(n, v)| v.ok_or(CombineError::NoLog(n)))
        .collect::<Result<Vec<u64>, CombineError>>()?;
    Ok(Totals { trustees: q, values })
}

/// A verifier's check of one published total (§16.11 step 15): `t ≤ bound`
/// and `B / Π M_j^{λ_j} = g^t`, without searching.
pub fn total_holds(target: &Target, lambdas: &[Scalar], factors: &[&Element], t: u64) -> bool {
    t <= target.bound && combined_point(target, lambdas, factors) == g_pow(&int(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_sums_are_multiscalar_multiplications() {
        for n in [0usize, 1, 5, 16, 17, 300, 2000] {
            let points: Vec<RistrettoPoint> = (0..n).map(|i| g_pow(&int(i as u64 * 7919 + 3))).collect();
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            let weights: Vec<u64> = (0..n)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    match i % 3 {
                        0 => state >> 4,
                        1 => state % 1000,
                        _ => 0,
                    }
                })
                .collect();
            let scalars: Vec<Scalar> = weights.iter().map(|&e| int(e)).collect();
            assert_eq!(
                weighted_sum(&weights, &points),
                RistrettoPoint::vartime_multiscalar_mul(&scalars, &points),
                "n = {n}"
            );
        }
        assert_eq!(weighted_sum(&[u64::MAX], &[g_pow(&int(1))]), g_pow(&int(u64::MAX)));
    }

    #[test]
    fn an_aggregator_is_restored_from_its_state() {
        use crate::definition::{Candidate, Contest, Definition};
        let definition = Definition {
            title: "t".into(),
            description: String::new(),
            contests: vec![Contest {
                id: "c".into(),
                title: "c".into(),
                description: String::new(),
                seats: 1,
                candidates: vec![Candidate {
                    id: "a".into(),
                    name: "A".into(),
                    statement: String::new(),
                }],
                method: crate::definition::Method::Approval,
            }],
        };
        let shape = BallotShape::of(&definition).unwrap();
        let mut a = Aggregator::new(&shape);
        let ct = |n: u64| RawCiphertext {
            alpha: g_pow(&int(n)),
            beta: g_pow(&int(n + 1)),
        };
        a.add(Weight::ONE, &[ct(1), ct(2)]).unwrap();
        a.add(Weight::parse("2.5").unwrap(), &[ct(3), ct(4)]).unwrap();
        let state = a.state();
        let json = serde_json::to_string(&state).unwrap();
        let back = Aggregator::restore(&shape, &serde_json::from_str(&json).unwrap()).unwrap();
        assert_eq!(back.finish().unwrap(), a.finish().unwrap());
        assert_eq!(back.ballots(), 2);
    }

    #[test]
    fn decimals_are_those_of_the_canonical_spelling() {
        assert_eq!(decimals(1_000_000), 0);
        assert_eq!(decimals(2_500_000), 1);
        assert_eq!(decimals(1), 6);
        assert_eq!(decimals(0), 0);
        assert_eq!(decimals(1_230_000), 2);
    }

    #[test]
    fn lagrange_coefficients_at_zero_interpolate() {
        // f(z) = 5 + 3z: f(2) = 11, f(5) = 20; λ gives f(0) = 5.
        let l = lagrange_at_zero(&[2, 5]);
        assert_eq!(l[0] * int(11) + l[1] * int(20), int(5));
    }
}
