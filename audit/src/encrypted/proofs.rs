//! The ballot's proofs (FORMAT.md §15.1–§15.3):
//! that each option's count is in `{0, …, p}` ([`SelectionStatement`]),
//! and that a contest's indicator and sum are an allowed pair
//! ([`ContestStatement`]).
//!
//! Both are disjunctions of Chaum–Pedersen proofs (Cramer, Damgård and
//! Schoenmakers), made non-interactive by the **strong** Fiat–Shamir
//! transform: each challenge hashes the domain tag, the election
//! fingerprint, the ballot nonce, the ids, the whole statement and every
//! commitment, framed (§14.5). Commitments are carried in the proof, so a
//! verifier hashes the bytes it received and can batch the equations
//! ([`super::batch`]).
//!
//! The provers do the same operations for every branch, real or simulated,
//! and select the real one with constant-time selection: every branch draws
//! its challenge and response, and the real branch's drawn response serves
//! as its commitment nonce `u` and its drawn challenge is replaced (§15.2).
//! The order of draws is therefore fixed and does not depend on the vote.
//!
//! The single-statement proofs of §15.4–§15.5 (DLEQ and Schnorr) are used
//! only by the trustees and live with them (`crate::trustees::proofs`).

use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use super::batch::{Bases, Equation, Equations};
use super::elgamal::{Ciphertext, EncryptionKey};
use super::group::{g_pow, hex_scalar, int, random_scalar, Element, RandomSource, Scalar};
use super::hash::{tag, Framer, Sink};
use crate::crypto::{Digest, Nonce};

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof does not have the statement's number of branches.
    #[error("the proof has {found} branches where {expected} are required")]
    BranchCount {
        /// `p + 1` or `L + 1`.
        expected: usize,
        /// What the proof has.
        found: usize,
    },
    /// An `alpha` the proof is about is the identity (§14.2).
    #[error("alpha is the identity element")]
    IdentityAlpha,
    /// The challenge recomputed from the hash is not the sum of the
    /// branches' challenges.
    #[error("the challenge recomputed from the statement and commitments is not the sum of the branch challenges")]
    Challenge,
    /// A branch's verification equation does not hold.
    #[error("the verification equation of branch {branch} does not hold")]
    Equation {
        /// The branch, from 0.
        branch: usize,
    },
}

impl ProofError {
    /// A short name for the failure, as reports and test vectors spell it.
    pub fn reason(&self) -> &'static str {
        match self {
            ProofError::BranchCount { .. } => "branch-count",
            ProofError::IdentityAlpha => "identity",
            ProofError::Challenge => "challenge",
            ProofError::Equation { .. } => "equation",
        }
    }
}

/// Why a proof cannot be made: the statement is false.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not in 0..={max}, so it cannot be proved")]
pub struct OutOfRange {
    /// The count or branch asked for.
    pub value: u32,
    /// The most allowed.
    pub max: u32,
}

/// One branch of a selection proof: `{"a", "b", "c", "v"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionBranch {
    /// `a_j`.
    pub a: Element,
    /// `b_j`.
    pub b: Element,
    /// `c_j`.
    #[serde(with = "hex_scalar")]
    pub c: Scalar,
    /// `v_j`.
    #[serde(with = "hex_scalar")]
    pub v: Scalar,
}

/// A selection proof: branches `j = 0 … p`, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SelectionProof {
    /// The `p + 1` branches.
    pub branches: Vec<SelectionBranch>,
}

/// What a selection proof proves (§15.2): the ciphertext of `option` in
/// `contest` of the ballot with `nonce` encrypts a count in `{0, …, max}`.
#[derive(Debug, Clone, Copy)]
pub struct SelectionStatement<'a> {
    /// The election fingerprint (§14.7).
    pub fingerprint: &'a Digest,
    /// The ballot nonce.
    pub nonce: &'a Nonce,
    /// The contest id.
    pub contest: &'a str,
    /// The option id.
    pub option: &'a str,
    /// `p`, the most the option can receive.
    pub max: u32,
    /// `(α, β)`.
    pub ciphertext: &'a Ciphertext,
}

impl SelectionStatement<'_> {
    /// `c = HS("teller/selection-proof/v1"; raw(fp), raw(nonce), str(contest),
    /// str(option), u32(p), elt(α), elt(β), elt(a₀), elt(b₀), …, elt(a_p), elt(b_p))`.
    pub fn challenge<'e>(&self, commitments: impl IntoIterator<Item = (&'e Element, &'e Element)>) -> Scalar {
        let mut h = Framer::hs(tag::SELECTION_PROOF);
        self.write(&mut h, commitments);
        h.scalar()
    }

    /// The framed bytes the challenge hashes (tag included), for test
    /// vectors.
    pub fn challenge_input<'e>(&self, commitments: impl IntoIterator<Item = (&'e Element, &'e Element)>) -> Vec<u8> {
        let mut f = Framer::bytes(tag::SELECTION_PROOF);
        self.write(&mut f, commitments);
        f.into_bytes()
    }

    fn write<'e, S: Sink>(&self, h: &mut Framer<S>, commitments: impl IntoIterator<Item = (&'e Element, &'e Element)>) {
        h.raw(&self.fingerprint.0)
            .raw(&self.nonce.0)
            .str(self.contest)
            .str(self.option)
            .u32(self.max)
            .elt(&self.ciphertext.alpha)
            .elt(&self.ciphertext.beta);
        for (a, b) in commitments {
            h.elt(a).elt(b);
        }
    }

    /// Prove that the ciphertext, made with randomness `r`, encrypts `m`.
    ///
    /// Draws from `rng`, for `j = 0 … p` in order, `c_j` then `v_j`
    /// (§14.4). For `j = m` the drawn `v_m` is the nonce `u` and the drawn
    /// `c_m` is discarded. Every branch computes `a_j = g^{v_j}·α^{−c'_j}`
    /// and `b_j = h^{v_j}·(β/g^j)^{−c'_j}`, with `c'_j = c_j` for `j ≠ m`
    /// and `c'_m = 0` (so `a_m = g^u`, `b_m = h^u`), selected in constant
    /// time. Then `c_m = c − Σ_{j≠m} c_j` and `v_m = u + c_m·r`.
    pub fn prove(
        &self,
        key: &EncryptionKey,
        m: u32,
        r: &Scalar,
        rng: &mut dyn RandomSource,
    ) -> Result<SelectionProof, OutOfRange> {
        if m > self.max {
            return Err(OutOfRange {
                value: m,
                max: self.max,
            });
        }
        let n = self.max as usize + 1;
        let mut draws = Zeroizing::new(Vec::with_capacity(2 * n));
        for _ in 0..n {
            draws.push(*random_scalar(rng));
            draws.push(*random_scalar(rng));
        }
        let (alpha, beta) = (*self.ciphertext.alpha.point(), *self.ciphertext.beta.point());
        let mut commitments = Vec::with_capacity(n);
        let mut simulated_sum = Scalar::ZERO;
        let mut u = Zeroizing::new(Scalar::ZERO);
        for j in 0..n {
            let real = (j as u32).ct_eq(&m);
            let (c_j, v_j) = (draws[2 * j], draws[2 * j + 1]);
            let c_used = Scalar::conditional_select(&c_j, &Scalar::ZERO, real);
            simulated_sum += c_used;
            u.conditional_assign(&v_j, real);
            let a = g_pow(&v_j) + alpha * -c_used;
            let b = key.pow(&v_j) + (beta - g_pow(&int(j as u64))) * -c_used;
            commitments.push((Element::from_point(a), Element::from_point(b)));
        }
        let c = self.challenge(commitments.iter().map(|(a, b)| (a, b)));
        let c_real = c - simulated_sum;
        let v_real = *u + c_real * r;
        let branches = commitments
            .into_iter()
            .enumerate()
            .map(|(j, (a, b))| {
                let real = (j as u32).ct_eq(&m);
                SelectionBranch {
                    a,
                    b,
                    c: Scalar::conditional_select(&draws[2 * j], &c_real, real),
                    v: Scalar::conditional_select(&draws[2 * j + 1], &v_real, real),
                }
            })
            .collect();
        Ok(SelectionProof { branches })
    }

    /// The proof's own checks (branch count, `α` not the identity, the
    /// challenge), then its equations for [`Equations::holds`] or a batch:
    /// for each `j`, `g^{v_j} = a_j·α^{c_j}` and `h^{v_j} = b_j·(β/g^j)^{c_j}`.
    pub fn equations(&self, proof: &SelectionProof) -> Result<Equations, ProofError> {
        let n = self.max as usize + 1;
        if proof.branches.len() != n {
            return Err(ProofError::BranchCount {
                expected: n,
                found: proof.branches.len(),
            });
        }
        if self.ciphertext.alpha.is_identity() {
            return Err(ProofError::IdentityAlpha);
        }
        let c = self.challenge(proof.branches.iter().map(|br| (&br.a, &br.b)));
        if c != proof.branches.iter().map(|br| br.c).sum::<Scalar>() {
            return Err(ProofError::Challenge);
        }
        let mut eqs = Equations::new();
        let alpha = eqs.point(*self.ciphertext.alpha.point());
        let beta = eqs.point(*self.ciphertext.beta.point());
        for (j, br) in proof.branches.iter().enumerate() {
            let a = eqs.point(*br.a.point());
            let b = eqs.point(*br.b.point());
            eqs.push(Equation {
                g: br.v,
                h: Scalar::ZERO,
                terms: vec![(-Scalar::ONE, a), (-br.c, alpha)],
            });
            eqs.push(Equation {
                g: br.c * int(j as u64),
                h: br.v,
                terms: vec![(-Scalar::ONE, b), (-br.c, beta)],
            });
        }
        Ok(eqs)
    }

    /// Verify the proof on its own, naming the first branch that fails.
    pub fn verify(&self, bases: &Bases, proof: &SelectionProof) -> Result<(), ProofError> {
        let eqs = self.equations(proof)?;
        match eqs.first_failing(bases) {
            Some(i) => Err(ProofError::Equation { branch: i / 2 }),
            None => Ok(()),
        }
    }
}

/// One branch of a contest proof: `{"a1", "b1", "a2", "b2", "c", "v1", "v2"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestBranch {
    /// `a1_j` (indicator half).
    pub a1: Element,
    /// `b1_j` (indicator half).
    pub b1: Element,
    /// `a2_j` (sum half).
    pub a2: Element,
    /// `b2_j` (sum half).
    pub b2: Element,
    /// `c_j`.
    #[serde(with = "hex_scalar")]
    pub c: Scalar,
    /// `v1_j`.
    #[serde(with = "hex_scalar")]
    pub v1: Scalar,
    /// `v2_j`.
    #[serde(with = "hex_scalar")]
    pub v2: Scalar,
}

/// A contest proof: branches `j = 0 … L`, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContestProof {
    /// The `L + 1` branches.
    pub branches: Vec<ContestBranch>,
}

/// The pair `(b_j, s_j)` that branch `j` of a contest proof allows:
/// `(0, 0)` for branch 0 and `(1, j)` for the others (§15.3).
pub fn contest_branch(j: u32) -> (u64, u64) {
    (u64::from(j >= 1), u64::from(j))
}

/// What a contest proof proves (§15.3): the indicator encrypts `b ∈ {0,1}`,
/// the sum of the contest's selections encrypts `Σ`, and `(b, Σ)` is
/// `(0, 0)` or `(1, j)` for some `1 ≤ j ≤ L`.
#[derive(Debug, Clone, Copy)]
pub struct ContestStatement<'a> {
    /// The election fingerprint (§14.7).
    pub fingerprint: &'a Digest,
    /// The ballot nonce.
    pub nonce: &'a Nonce,
    /// The contest id.
    pub contest: &'a str,
    /// `L`, the most the contest can receive.
    pub limit: u32,
    /// `(α_x, β_x)`.
    pub indicator: &'a Ciphertext,
    /// `(α_Σ, β_Σ)`: the product of the contest's selections, computed by
    /// the verifier (never transmitted).
    pub sum: &'a Ciphertext,
}

impl ContestStatement<'_> {
    /// `c = HS("teller/contest-proof/v1"; raw(fp), raw(nonce), str(contest),
    /// u32(L), elt(α_x), elt(β_x), elt(α_Σ), elt(β_Σ), for j = 0 … L:
    /// elt(a1_j), elt(b1_j), elt(a2_j), elt(b2_j))`.
    pub fn challenge<'e>(&self, commitments: impl IntoIterator<Item = [&'e Element; 4]>) -> Scalar {
        let mut h = Framer::hs(tag::CONTEST_PROOF);
        self.write(&mut h, commitments);
        h.scalar()
    }

    /// The framed bytes the challenge hashes (tag included), for test
    /// vectors.
    pub fn challenge_input<'e>(&self, commitments: impl IntoIterator<Item = [&'e Element; 4]>) -> Vec<u8> {
        let mut f = Framer::bytes(tag::CONTEST_PROOF);
        self.write(&mut f, commitments);
        f.into_bytes()
    }

    fn write<'e, S: Sink>(&self, h: &mut Framer<S>, commitments: impl IntoIterator<Item = [&'e Element; 4]>) {
        h.raw(&self.fingerprint.0)
            .raw(&self.nonce.0)
            .str(self.contest)
            .u32(self.limit)
            .elt(&self.indicator.alpha)
            .elt(&self.indicator.beta)
            .elt(&self.sum.alpha)
            .elt(&self.sum.beta);
        for [a1, b1, a2, b2] in commitments {
            h.elt(a1).elt(b1).elt(a2).elt(b2);
        }
    }

    /// Prove that branch `k` holds: `k = 0` when the contest is blank,
    /// otherwise `k = Σ m_o`; `r_x` is the indicator's randomness and
    /// `r_sum` the sum of the selections' randomness.
    ///
    /// Draws from `rng`, for `j = 0 … L` in order, `c_j`, `v1_j`, `v2_j`.
    /// For `j = k` the drawn `v1_k`, `v2_k` are the nonces `u1`, `u2` and
    /// `c_k` is discarded; every branch computes its four commitments with
    /// `c'_j` (0 for the real branch), as [`SelectionStatement::prove`].
    pub fn prove(
        &self,
        key: &EncryptionKey,
        k: u32,
        r_x: &Scalar,
        r_sum: &Scalar,
        rng: &mut dyn RandomSource,
    ) -> Result<ContestProof, OutOfRange> {
        if k > self.limit {
            return Err(OutOfRange {
                value: k,
                max: self.limit,
            });
        }
        let n = self.limit as usize + 1;
        let mut draws = Zeroizing::new(Vec::with_capacity(3 * n));
        for _ in 0..3 * n {
            draws.push(*random_scalar(rng));
        }
        let (ax, bx) = (*self.indicator.alpha.point(), *self.indicator.beta.point());
        let (asum, bsum) = (*self.sum.alpha.point(), *self.sum.beta.point());
        let mut commitments = Vec::with_capacity(n);
        let mut simulated_sum = Scalar::ZERO;
        let mut u1 = Zeroizing::new(Scalar::ZERO);
        let mut u2 = Zeroizing::new(Scalar::ZERO);
        for j in 0..n {
            let real = (j as u32).ct_eq(&k);
            let (c_j, v1, v2) = (draws[3 * j], draws[3 * j + 1], draws[3 * j + 2]);
            let c_used = Scalar::conditional_select(&c_j, &Scalar::ZERO, real);
            simulated_sum += c_used;
            u1.conditional_assign(&v1, real);
            u2.conditional_assign(&v2, real);
            let (b_j, s_j) = contest_branch(j as u32);
            let a1 = g_pow(&v1) + ax * -c_used;
            let b1 = key.pow(&v1) + (bx - g_pow(&int(b_j))) * -c_used;
            let a2 = g_pow(&v2) + asum * -c_used;
            let b2 = key.pow(&v2) + (bsum - g_pow(&int(s_j))) * -c_used;
            commitments.push([a1, b1, a2, b2].map(Element::from_point));
        }
        let c = self.challenge(commitments.iter().map(|[a1, b1, a2, b2]| [a1, b1, a2, b2]));
        let c_real = c - simulated_sum;
        let v1_real = *u1 + c_real * r_x;
        let v2_real = *u2 + c_real * r_sum;
        let branches = commitments
            .into_iter()
            .enumerate()
            .map(|(j, [a1, b1, a2, b2])| {
                let real = (j as u32).ct_eq(&k);
                ContestBranch {
                    a1,
                    b1,
                    a2,
                    b2,
                    c: Scalar::conditional_select(&draws[3 * j], &c_real, real),
                    v1: Scalar::conditional_select(&draws[3 * j + 1], &v1_real, real),
                    v2: Scalar::conditional_select(&draws[3 * j + 2], &v2_real, real),
                }
            })
            .collect();
        Ok(ContestProof { branches })
    }

    /// The proof's own checks (branch count, `α_x` not the identity, the
    /// challenge), then its four equations per branch:
    /// `g^{v1} = a1·α_x^c`, `h^{v1} = b1·(β_x/g^{b_j})^c`,
    /// `g^{v2} = a2·α_Σ^c`, `h^{v2} = b2·(β_Σ/g^{s_j})^c`.
    pub fn equations(&self, proof: &ContestProof) -> Result<Equations, ProofError> {
        let n = self.limit as usize + 1;
        if proof.branches.len() != n {
            return Err(ProofError::BranchCount {
                expected: n,
                found: proof.branches.len(),
            });
        }
        if self.indicator.alpha.is_identity() {
            return Err(ProofError::IdentityAlpha);
        }
        let c = self.challenge(proof.branches.iter().map(|br| [&br.a1, &br.b1, &br.a2, &br.b2]));
        if c != proof.branches.iter().map(|br| br.c).sum::<Scalar>() {
            return Err(ProofError::Challenge);
        }
        let mut eqs = Equations::new();
        let ax = eqs.point(*self.indicator.alpha.point());
        let bx = eqs.point(*self.indicator.beta.point());
        let asum = eqs.point(*self.sum.alpha.point());
        let bsum = eqs.point(*self.sum.beta.point());
        for (j, br) in proof.branches.iter().enumerate() {
            let (b_j, s_j) = contest_branch(j as u32);
            let a1 = eqs.point(*br.a1.point());
            let b1 = eqs.point(*br.b1.point());
            let a2 = eqs.point(*br.a2.point());
            let b2 = eqs.point(*br.b2.point());
            eqs.push(Equation {
                g: br.v1,
                h: Scalar::ZERO,
                terms: vec![(-Scalar::ONE, a1), (-br.c, ax)],
            });
            eqs.push(Equation {
                g: br.c * int(b_j),
                h: br.v1,
                terms: vec![(-Scalar::ONE, b1), (-br.c, bx)],
            });
            eqs.push(Equation {
                g: br.v2,
                h: Scalar::ZERO,
                terms: vec![(-Scalar::ONE, a2), (-br.c, asum)],
            });
            eqs.push(Equation {
                g: br.c * int(s_j),
                h: br.v2,
                terms: vec![(-Scalar::ONE, b2), (-br.c, bsum)],
            });
        }
        Ok(eqs)
    }

    /// Verify the proof on its own, naming the first branch that fails.
    pub fn verify(&self, bases: &Bases, proof: &ContestProof) -> Result<(), ProofError> {
        let eqs = self.equations(proof)?;
        match eqs.first_failing(bases) {
            Some(i) => Err(ProofError::Equation { branch: i / 4 }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encrypted::elgamal::product;
    use crate::encrypted::group::OsRandom;

    struct Setup {
        key: EncryptionKey,
        bases: Bases,
        fp: Digest,
        nonce: Nonce,
    }

    fn setup() -> Setup {
        let x = random_scalar(&mut OsRandom);
        let h = Element::from_point(g_pow(&x));
        Setup {
            key: EncryptionKey::new(h).unwrap(),
            bases: Bases::new(&h),
            fp: Digest::of(b"fingerprint"),
            nonce: Nonce([7; 16]),
        }
    }

    fn selection<'a>(s: &'a Setup, ct: &'a Ciphertext, max: u32) -> SelectionStatement<'a> {
        SelectionStatement {
            fingerprint: &s.fp,
            nonce: &s.nonce,
            contest: "directors",
            option: "amara-okafor",
            max,
            ciphertext: ct,
        }
    }

    #[test]
    fn every_count_in_range_proves_and_verifies() {
        let s = setup();
        for max in [1, 3] {
            for m in 0..=max {
                let r = random_scalar(&mut OsRandom);
                let ct = s.key.encrypt(u64::from(m), &r);
                let st = selection(&s, &ct, max);
                let proof = st.prove(&s.key, m, &r, &mut OsRandom).unwrap();
                assert_eq!(proof.branches.len(), max as usize + 1);
                assert_eq!(st.verify(&s.bases, &proof), Ok(()), "m = {m}, p = {max}");
            }
        }
    }

    #[test]
    fn a_count_out_of_range_cannot_be_proved_and_a_forced_proof_fails() {
        let s = setup();
        let r = random_scalar(&mut OsRandom);
        let ct = s.key.encrypt(2, &r);
        let st = selection(&s, &ct, 1);
        assert_eq!(
            st.prove(&s.key, 2, &r, &mut OsRandom),
            Err(OutOfRange { value: 2, max: 1 })
        );
        // Claiming m = 1 for an encryption of 2: the real branch's equation fails.
        let proof = st.prove(&s.key, 1, &r, &mut OsRandom).unwrap();
        assert_eq!(st.verify(&s.bases, &proof), Err(ProofError::Equation { branch: 1 }));
    }

    #[test]
    fn a_proof_is_bound_to_its_election_ballot_contest_option_and_ciphertext() {
        let s = setup();
        let r = random_scalar(&mut OsRandom);
        let ct = s.key.encrypt(1, &r);
        let st = selection(&s, &ct, 1);
        let proof = st.prove(&s.key, 1, &r, &mut OsRandom).unwrap();
        let other_fp = Digest::of(b"another election");
        let other_nonce = Nonce([8; 16]);
        let other_ct = s.key.encrypt(1, &random_scalar(&mut OsRandom));
        for wrong in [
            SelectionStatement {
                fingerprint: &other_fp,
                ..st
            },
            SelectionStatement {
                nonce: &other_nonce,
                ..st
            },
            SelectionStatement {
                contest: "treasurer",
                ..st
            },
            SelectionStatement {
                option: "priya-raman",
                ..st
            },
            SelectionStatement {
                ciphertext: &other_ct,
                ..st
            },
        ] {
            assert_eq!(wrong.verify(&s.bases, &proof), Err(ProofError::Challenge));
        }
        assert_eq!(
            SelectionStatement { max: 2, ..st }.verify(&s.bases, &proof),
            Err(ProofError::BranchCount { expected: 3, found: 2 })
        );
        let identity = Ciphertext {
            alpha: Element::identity(),
            beta: ct.beta,
        };
        assert_eq!(
            SelectionStatement {
                ciphertext: &identity,
                ..st
            }
            .verify(&s.bases, &proof),
            Err(ProofError::IdentityAlpha)
        );
    }

    #[test]
    fn a_tampered_response_or_commitment_is_refused() {
        let s = setup();
        let r = random_scalar(&mut OsRandom);
        let ct = s.key.encrypt(0, &r);
        let st = selection(&s, &ct, 1);
        let proof = st.prove(&s.key, 0, &r, &mut OsRandom).unwrap();
        let mut bad = proof.clone();
        bad.branches[1].v += Scalar::ONE;
        assert_eq!(st.verify(&s.bases, &bad), Err(ProofError::Equation { branch: 1 }));
        let mut bad = proof.clone();
        bad.branches[0].a = Element::generator();
        assert_eq!(st.verify(&s.bases, &bad), Err(ProofError::Challenge));
        let mut bad = proof;
        // Moving challenge between branches keeps the sum but breaks both.
        bad.branches[0].c += Scalar::ONE;
        bad.branches[1].c -= Scalar::ONE;
        assert_eq!(st.verify(&s.bases, &bad), Err(ProofError::Equation { branch: 0 }));
    }

    fn contest_case(s: &Setup, counts: &[u64], limit: u32, claim: Option<u32>) -> Result<(), ProofError> {
        let rs: Vec<_> = counts.iter().map(|_| random_scalar(&mut OsRandom)).collect();
        let cts: Vec<_> = counts.iter().zip(&rs).map(|(m, r)| s.key.encrypt(*m, r)).collect();
        let total: u64 = counts.iter().sum();
        let r_x = random_scalar(&mut OsRandom);
        let indicator = s.key.encrypt(u64::from(total >= 1), &r_x);
        let sum = product(&cts).encode();
        let r_sum: Scalar = rs.iter().map(|r| **r).sum();
        let st = ContestStatement {
            fingerprint: &s.fp,
            nonce: &s.nonce,
            contest: "directors",
            limit,
            indicator: &indicator,
            sum: &sum,
        };
        let k = claim.unwrap_or(total as u32);
        let proof = st
            .prove(&s.key, k, &r_x, &r_sum, &mut OsRandom)
            .map_err(|_| ProofError::Challenge)?;
        st.verify(&s.bases, &proof)
    }

    #[test]
    fn contest_proofs_accept_blank_to_full_and_refuse_over_the_limit() {
        let s = setup();
        assert_eq!(contest_case(&s, &[0, 0, 0], 2, None), Ok(()));
        assert_eq!(contest_case(&s, &[1, 0, 0], 2, None), Ok(()));
        assert_eq!(contest_case(&s, &[1, 0, 1], 2, None), Ok(()));
        // Three chosen with a limit of 2: the prover claims branch 2, whose
        // sum half fails.
        assert_eq!(
            contest_case(&s, &[1, 1, 1], 2, Some(2)),
            Err(ProofError::Equation { branch: 2 })
        );
    }
}
