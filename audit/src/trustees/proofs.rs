//! The two single-statement proofs the trustees use (§15.4–§15.5), made
//! non-interactive by the strong Fiat–Shamir transform (§15.1).
//!
//! - [`SchnorrProof`]: knowledge of `x` with `X = g^x` — a trustee's
//!   encryption key, each coefficient, its key share (§16.2).
//! - [`DleqProof`]: `log_g X = log_Y Z` — a complaint's shared secret
//!   (§16.4) and a partial decryption (§16.7).
//!
//! Each use fixes its own challenge hash (tag, context, statement and
//! commitments, in an order §16 spells out), so the prover and verifier
//! take the challenge as a function of the commitments: the caller writes
//! the hash once and both sides use it. Commitments are carried, the
//! challenge is recomputed (§15.1).

use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};

use crate::encrypted::group::{g_pow, hex_scalar, random_scalar, Element, RandomSource, RistrettoPoint, Scalar};

/// A proof of knowledge of a discrete log (§15.5): `{"a": E(g^u), "v": u + c·x}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchnorrProof {
    /// The commitment `a = g^u`.
    pub a: Element,
    /// The response `v = u + c·x mod ℓ`.
    #[serde(with = "hex_scalar")]
    pub v: Scalar,
}

impl SchnorrProof {
    /// Prove knowledge of `x`; `challenge(a)` is the use's hash of the
    /// statement and the commitment `a`.
    pub fn prove(x: &Scalar, rng: &mut dyn RandomSource, challenge: impl FnOnce(&Element) -> Scalar) -> SchnorrProof {
        let u = random_scalar(rng);
        let a = Element::from_point(g_pow(&u));
        let c = challenge(&a);
        SchnorrProof { a, v: *u + c * x }
    }

    /// Whether `g^v = a · X^c`, with `c = challenge(a)`.
    pub fn verify(&self, x: &Element, challenge: impl FnOnce(&Element) -> Scalar) -> bool {
        let c = challenge(&self.a);
        // v·g − c·X, in one variable-time double multiplication (public values).
        RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, x.point(), &self.v) == *self.a.point()
    }
}

/// A proof of equality of discrete logs (§15.4): `log_g X = log_Y Z`,
/// `{"a": E(g^u), "b": E(Y^u), "v": u + c·x}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DleqProof {
    /// The commitment `a = g^u`.
    pub a: Element,
    /// The commitment `b = Y^u`.
    pub b: Element,
    /// The response `v = u + c·x mod ℓ`.
    #[serde(with = "hex_scalar")]
    pub v: Scalar,
}

impl DleqProof {
    /// Prove that `Z = Y^x` has the same log as `X = g^x`;
    /// `challenge(a, b)` is the use's hash of the statement and commitments.
    pub fn prove(
        x: &Scalar,
        y: &Element,
        rng: &mut dyn RandomSource,
        challenge: impl FnOnce(&Element, &Element) -> Scalar,
    ) -> DleqProof {
        let u = random_scalar(rng);
        let a = Element::from_point(g_pow(&u));
        let b = Element::from_point(y.point() * *u);
        let c = challenge(&a, &b);
        DleqProof { a, b, v: *u + c * x }
    }

    /// Whether `g^v = a · X^c` and `Y^v = b · Z^c`, with `c = challenge(a, b)`.
    pub fn verify(
        &self,
        x: &Element,
        y: &Element,
        z: &Element,
        challenge: impl FnOnce(&Element, &Element) -> Scalar,
    ) -> bool {
        let c = challenge(&self.a, &self.b);
        let first = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, x.point(), &self.v) == *self.a.point();
        let second = RistrettoPoint::vartime_multiscalar_mul([self.v, -c], [*y.point(), *z.point()]) == *self.b.point();
        first && second
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encrypted::group::OsRandom;
    use crate::encrypted::hash::{tag, Framer};

    fn challenge(items: &[&Element]) -> Scalar {
        let mut h = Framer::hs(tag::TEST_VECTOR);
        for item in items {
            h.elt(item);
        }
        h.scalar()
    }

    #[test]
    fn schnorr_proves_and_refuses_another_key_or_context() {
        let x = random_scalar(&mut OsRandom);
        let big_x = Element::from_point(g_pow(&x));
        let proof = SchnorrProof::prove(&x, &mut OsRandom, |a| challenge(&[&big_x, a]));
        assert!(proof.verify(&big_x, |a| challenge(&[&big_x, a])));
        assert!(!proof.verify(&Element::generator(), |a| challenge(&[&Element::generator(), a])));
        assert!(!proof.verify(&big_x, |a| challenge(&[a, &big_x])));
    }

    #[test]
    fn dleq_proves_equal_logs_only() {
        let x = random_scalar(&mut OsRandom);
        let y = Element::from_point(g_pow(&random_scalar(&mut OsRandom)));
        let big_x = Element::from_point(g_pow(&x));
        let z = Element::from_point(y.point() * *x);
        let ch = |a: &Element, b: &Element| challenge(&[&big_x, &y, &z, a, b]);
        let proof = DleqProof::prove(&x, &y, &mut OsRandom, ch);
        assert!(proof.verify(&big_x, &y, &z, ch));
        let wrong = Element::from_point(z.point() + g_pow(&Scalar::ONE));
        let ch_wrong = |a: &Element, b: &Element| challenge(&[&big_x, &y, &wrong, a, b]);
        assert!(!proof.verify(&big_x, &y, &wrong, ch_wrong));
        // The identity as the second base: Z must then be the identity too.
        let id = Element::identity();
        let ch_id = |a: &Element, b: &Element| challenge(&[&big_x, &id, &id, a, b]);
        assert!(DleqProof::prove(&x, &id, &mut OsRandom, ch_id).verify(&big_x, &id, &id, ch_id));
    }
}
