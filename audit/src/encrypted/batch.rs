//! Checking proof equations, one at a time or in batches
//! (FORMAT.md §15.6).
//!
//! Every proof of §15 ends in equations of the form
//! `e_g·g + e_h·h + Σ s_i·P_i = identity`. A verifier first does each proof's
//! own checks (shape, decoding, the challenge recomputed from the hash, which
//! batching never replaces), and collects the proof's equations in an
//! [`Equations`]. It can then check them one by one ([`Equations::holds`])
//! or many at once ([`Batch`]): each equation is multiplied by an
//! independent random 128-bit weight from the verifier's own CSPRNG, and the
//! weighted sum is computed in one variable-time multiscalar
//! multiplication. The group has prime order, so a set with any false
//! equation passes with probability at most 2^-128. A failing batch is
//! checked again item by item, to name the items at fault.
//!
//! A small batch (one ballot's proofs, about a hundred points) is computed
//! with Straus's method and the bases' precomputed tables; a large one (the
//! proofs of hundreds of ballots, which the verifier batches together) with
//! Pippenger's bucket method, whose cost per point falls as the batch grows
//! and which skips the zero upper digits of the 128-bit weights that most
//! points (the proofs' commitments) are multiplied by.

use curve25519_dalek::ristretto::VartimeRistrettoPrecomputation;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul};

use super::group::{Element, RandomSource, RistrettoPoint, Scalar, G};

/// From this many points on, a batch is one Pippenger multiscalar
/// multiplication (dalek switches from Straus to Pippenger at 190 points).
const PIPPENGER_POINTS: usize = 190;

/// The fixed bases `g` and `h` (the joint key), with precomputed tables for
/// variable-time multiplication. Made once per election.
pub struct Bases {
    h: Element,
    table: VartimeRistrettoPrecomputation,
}

impl Bases {
    /// The bases `g` and `h`.
    pub fn new(h: &Element) -> Bases {
        Bases {
            h: *h,
            table: VartimeRistrettoPrecomputation::new([G, *h.point()]),
        }
    }

    /// `h`.
    pub fn h(&self) -> &Element {
        &self.h
    }

    /// `e_g·g + e_h·h + Σ sᵢ·Pᵢ`, in variable time (public values only).
    fn combine(&self, g: &Scalar, h: &Scalar, scalars: &[Scalar], points: &[RistrettoPoint]) -> RistrettoPoint {
        self.table
            .vartime_mixed_multiscalar_mul([g, h], scalars.iter(), points.iter())
    }

    /// [`Bases::combine`] of an accumulated batch: with the precomputed
    /// tables (Straus) when it is small, else one Pippenger multiplication
    /// with `g` and `h` as two more points.
    fn combine_all(&self, mut acc: Accumulator) -> RistrettoPoint {
        if acc.points.len() < PIPPENGER_POINTS {
            return self.combine(&acc.g, &acc.h, &acc.scalars, &acc.points);
        }
        acc.scalars.extend([acc.g, acc.h]);
        acc.points.extend([G, *self.h.point()]);
        RistrettoPoint::vartime_multiscalar_mul(&acc.scalars, &acc.points)
    }
}

/// One equation: `g·G + h·H + Σ scalar·points[index] = identity`.
#[derive(Debug, Clone, Default)]
pub struct Equation {
    /// The coefficient of the generator `g`.
    pub g: Scalar,
    /// The coefficient of the joint key `h`.
    pub h: Scalar,
    /// Other terms: a coefficient and the index of a point in the
    /// [`Equations`] the equation belongs to.
    pub terms: Vec<(Scalar, usize)>,
}

/// The equations of one proof, or of all the proofs of one ballot, over
/// their own list of points. A point shared by several equations (a
/// ciphertext used by every branch of a proof) is listed once, so a batch
/// adds up its coefficients before multiplying.
#[derive(Debug, Clone, Default)]
pub struct Equations {
    points: Vec<RistrettoPoint>,
    equations: Vec<Equation>,
}

impl Equations {
    /// No equations.
    pub fn new() -> Equations {
        Equations::default()
    }

    /// Adds a point and returns its index for [`Equation::terms`].
    pub fn point(&mut self, p: RistrettoPoint) -> usize {
        self.points.push(p);
        self.points.len() - 1
    }

    /// Adds an equation whose terms index points already added.
    pub fn push(&mut self, equation: Equation) {
        debug_assert!(equation.terms.iter().all(|(_, i)| *i < self.points.len()));
        self.equations.push(equation);
    }

    /// Adds all of `other`'s points and equations.
    pub fn append(&mut self, other: Equations) {
        let offset = self.points.len();
        self.points.extend(other.points);
        self.equations.extend(other.equations.into_iter().map(|mut e| {
            e.terms.iter_mut().for_each(|(_, i)| *i += offset);
            e
        }));
    }

    /// How many equations.
    pub fn len(&self) -> usize {
        self.equations.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.equations.is_empty()
    }

    /// The index of the first equation that does not hold, checking each
    /// on its own; `None` when all hold.
    pub fn first_failing(&self, bases: &Bases) -> Option<usize> {
        let mut scalars = Vec::new();
        let mut points = Vec::new();
        self.equations.iter().position(|e| {
            scalars.clear();
            points.clear();
            for (s, i) in &e.terms {
                scalars.push(*s);
                points.push(self.points[*i]);
            }
            !bases.combine(&e.g, &e.h, &scalars, &points).is_identity()
        })
    }

    /// Whether every equation holds, each checked on its own.
    pub fn holds(&self, bases: &Bases) -> bool {
        self.first_failing(bases).is_none()
    }

    /// How many points.
    pub fn points_len(&self) -> usize {
        self.points.len()
    }

    /// Whether every equation holds, checked together with weights from
    /// `rng` (wrong with probability at most 2^-128 when one does not).
    pub fn batch_holds(&self, bases: &Bases, rng: &mut dyn RandomSource) -> bool {
        let mut acc = Accumulator::with_capacity(self.points.len());
        self.weigh_into(rng, &mut acc);
        bases.combine_all(acc).is_identity()
    }

    /// Adds `Σ_e z_e · equation_e` into `acc`, drawing each `z_e` (all
    /// in one call to `rng`: one system call per item, not per equation).
    fn weigh_into(&self, rng: &mut dyn RandomSource, acc: &mut Accumulator) {
        let mut coefficients = vec![Scalar::ZERO; self.points.len()];
        let mut drawn = vec![0u8; WEIGHT_BYTES * self.equations.len()];
        rng.fill(&mut drawn);
        for (e, bytes) in self.equations.iter().zip(drawn.chunks_exact(WEIGHT_BYTES)) {
            let z = weight_of(bytes).unwrap_or_else(|| weight(rng));
            acc.g += z * e.g;
            acc.h += z * e.h;
            for (s, i) in &e.terms {
                coefficients[*i] += z * s;
            }
        }
        acc.scalars.extend(coefficients);
        acc.points.extend_from_slice(&self.points);
    }
}

#[derive(Default)]
struct Accumulator {
    g: Scalar,
    h: Scalar,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

impl Accumulator {
    /// Room for `points` points, and `g` and `h`.
    fn with_capacity(points: usize) -> Accumulator {
        Accumulator {
            scalars: Vec::with_capacity(points + 2),
            points: Vec::with_capacity(points + 2),
            ..Accumulator::default()
        }
    }
}

/// Bytes in a weight: 128 bits.
const WEIGHT_BYTES: usize = 16;

/// The weight of 16 random bytes, unless they are all zero.
fn weight_of(bytes: &[u8]) -> Option<Scalar> {
    let mut wide = [0u8; 32];
    wide[..WEIGHT_BYTES].copy_from_slice(bytes);
    let z = Scalar::from_bytes_mod_order(wide);
    (z != Scalar::ZERO).then_some(z)
}

/// A random non-zero 128-bit weight.
fn weight(rng: &mut dyn RandomSource) -> Scalar {
    loop {
        let mut bytes = [0u8; WEIGHT_BYTES];
        rng.fill(&mut bytes);
        if let Some(z) = weight_of(&bytes) {
            return z;
        }
    }
}

/// Items to check together, each named by a key (a ballot, a proof's path)
/// so that a failing batch can say which items fail.
pub struct Batch<'a, K> {
    bases: &'a Bases,
    items: Vec<(K, Equations)>,
}

impl<'a, K> Batch<'a, K> {
    /// An empty batch over the bases `g` and `h`.
    pub fn new(bases: &'a Bases) -> Self {
        Batch {
            bases,
            items: Vec::new(),
        }
    }

    /// Adds an item.
    pub fn push(&mut self, key: K, equations: Equations) {
        self.items.push((key, equations));
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Checks every equation of every item at once, with weights from `rng`
    /// (the verifier's own CSPRNG: [`super::group::OsRandom`]). On failure,
    /// checks each item on its own (a batch of one, with fresh weights, so
    /// a ballot costs one multiplication, not one per equation) and returns
    /// the keys of those that fail, in the order they were pushed.
    pub fn verify(self, rng: &mut dyn RandomSource) -> Result<(), Vec<K>> {
        let points = self.items.iter().map(|(_, e)| e.points.len()).sum();
        let mut acc = Accumulator::with_capacity(points);
        for (_, equations) in &self.items {
            equations.weigh_into(rng, &mut acc);
        }
        if self.bases.combine_all(acc).is_identity() {
            return Ok(());
        }
        // The weighted sum of true equations is the identity, so some item
        // has a false equation: its own batch misses it with probability at
        // most 2^-128, and then each equation is checked on its own.
        let bases = self.bases;
        let mut fails: Vec<bool> = self.items.iter().map(|(_, e)| !e.batch_holds(bases, rng)).collect();
        if !fails.contains(&true) {
            fails = self.items.iter().map(|(_, e)| !e.holds(bases)).collect();
        }
        let failing: Vec<K> = self
            .items
            .into_iter()
            .zip(fails)
            .filter(|(_, fails)| *fails)
            .map(|((key, _), _)| key)
            .collect();
        if failing.is_empty() {
            Ok(())
        } else {
            Err(failing)
        }
    }
}

/// Whether `Σ sᵢ·Pᵢ` is the identity, in variable time: for callers with
/// their own bases (for example a DLEQ over another base).
pub fn vartime_sum_is_identity(scalars: &[Scalar], points: &[RistrettoPoint]) -> bool {
    RistrettoPoint::vartime_multiscalar_mul(scalars, points) == RistrettoPoint::identity()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encrypted::group::{g_pow, int, random_scalar, OsRandom};

    /// `v·g − a − c·X = 0` for a Schnorr-like statement; `lie` breaks it.
    fn schnorr(lie: bool) -> Equations {
        let x = random_scalar(&mut OsRandom);
        let u = random_scalar(&mut OsRandom);
        let c = random_scalar(&mut OsRandom);
        let v = *u + *c * *x + if lie { Scalar::ONE } else { Scalar::ZERO };
        let mut eqs = Equations::new();
        let a = eqs.point(g_pow(&u));
        let big_x = eqs.point(g_pow(&x));
        eqs.push(Equation {
            g: v,
            h: Scalar::ZERO,
            terms: vec![(-Scalar::ONE, a), (-*c, big_x)],
        });
        eqs
    }

    #[test]
    fn a_batch_passes_when_all_hold_and_names_the_items_that_do_not() {
        let bases = Bases::new(&Element::from_point(g_pow(&int(99))));
        let mut batch = Batch::new(&bases);
        for i in 0..5 {
            batch.push(i, schnorr(false));
        }
        assert_eq!(batch.verify(&mut OsRandom), Ok(()));

        let mut batch = Batch::new(&bases);
        for i in 0..6 {
            batch.push(i, schnorr(i == 2 || i == 5));
        }
        assert_eq!(batch.verify(&mut OsRandom), Err(vec![2, 5]));
    }

    #[test]
    fn a_large_batch_names_its_one_false_item() {
        // 150 items of 2 points: one Pippenger multiplication, past the
        // Straus threshold; the lie is found and named alone.
        let bases = Bases::new(&Element::from_point(g_pow(&int(11))));
        let mut batch = Batch::new(&bases);
        for i in 0..150 {
            batch.push(i, schnorr(i == 97));
        }
        assert!(batch.items.iter().map(|(_, e)| e.points_len()).sum::<usize>() >= PIPPENGER_POINTS);
        assert_eq!(batch.verify(&mut OsRandom), Err(vec![97]));
        let mut batch = Batch::new(&bases);
        for i in 0..150 {
            batch.push(i, schnorr(false));
        }
        assert_eq!(batch.verify(&mut OsRandom), Ok(()));
    }

    #[test]
    fn two_false_equations_cannot_cancel_out() {
        // e1 = +P, e2 = −P: their plain sum is the identity, so a batch
        // with equal weights would pass. Independent weights do not.
        let bases = Bases::new(&Element::from_point(g_pow(&int(5))));
        let mut eqs = Equations::new();
        let p = eqs.point(g_pow(&int(7)));
        eqs.push(Equation {
            g: Scalar::ZERO,
            h: Scalar::ZERO,
            terms: vec![(Scalar::ONE, p)],
        });
        eqs.push(Equation {
            g: Scalar::ZERO,
            h: Scalar::ZERO,
            terms: vec![(-Scalar::ONE, p)],
        });
        assert_eq!(eqs.first_failing(&bases), Some(0));
        let mut batch = Batch::new(&bases);
        batch.push("pair", eqs);
        assert_eq!(batch.verify(&mut OsRandom), Err(vec!["pair"]));
    }

    #[test]
    fn appended_equations_keep_their_points() {
        let bases = Bases::new(&Element::from_point(g_pow(&int(3))));
        let mut all = schnorr(false);
        all.append(schnorr(false));
        all.append(schnorr(true));
        assert_eq!(all.len(), 3);
        assert_eq!(all.first_failing(&bases), Some(2));
    }
}
