//! The bounded discrete log of §16.8: find `t ≤ bound` with `g^t = T`, by
//! baby-step giant-step with `w = ⌈√(bound + 1)⌉`.
//!
//! 1. Baby steps: a table from the first 8 bytes of `E(g^i)` to `i`, for
//!    `0 ≤ i < w`.
//! 2. Giant steps: `γ = T`; for `k = 0, 1, …` while `k·w ≤ bound`: if `γ`'s
//!    key is in the table as `i` and `g^{k·w+i} = T`, then `t = k·w + i`;
//!    otherwise `γ = γ / g^w`.
//!
//! Only Teller searches; a verifier checks `g^t` directly (§16.11 step 15).
//! One table of the largest `w` serves every target.
//!
//! Encoding a point costs an inversion and a square root, so encoding the
//! 2^22 baby steps of the largest table one by one would take about 20 s.
//! Instead both steps encode in batches: ristretto255 can encode the
//! doubles of many points with one shared inversion
//! (`double_and_compress_batch`), so the steps are taken over `g/2`:
//! `E(g^i) = E(2 · (i · g/2))`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;

use crate::encrypted::group::{g_pow, int, Scalar, G};

/// The largest bound a target may have: 2^44, a table of 2^22 entries
/// (§16.8; an election whose roll could exceed it is refused at opening).
pub const MAX_BOUND: u64 = 1 << 44;

/// Points encoded per batch.
const BATCH: usize = 2048;

/// Why no table can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a total bounded by {0} exceeds the largest the discrete log supports (2^44)")]
pub struct BoundTooLarge(pub u64);

/// The table's keys are already uniform (bytes of point encodings), so
/// they are their own hash: no SipHash over 2^22 insertions and lookups.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Keys = HashMap<u64, u32, BuildHasherDefault<KeyHasher>>;

/// A baby-step table for bounds up to the one it was made for.
pub struct DlogTable {
    width: u64,
    keys: Keys,
    /// Keys that collided with one already in `keys` (8 bytes of 2^22
    /// encodings: about one chance in two million), kept so no `i` is lost.
    collisions: Vec<(u64, u32)>,
}

impl std::fmt::Debug for DlogTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DlogTable(width {})", self.width)
    }
}

/// `⌈√(bound + 1)⌉`.
pub fn width(bound: u64) -> u64 {
    let n = u128::from(bound) + 1;
    let mut w = (n as f64).sqrt() as u128;
    while w * w < n {
        w += 1;
    }
    while w > 1 && (w - 1) * (w - 1) >= n {
        w -= 1;
    }
    // bound ≤ 2^64 − 1 gives w ≤ 2^32.
    w as u64
}

/// The first 8 bytes of an encoding, as the table's key.
fn key(encoding: &[u8; 32]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&encoding[..8]);
    u64::from_le_bytes(first)
}

/// `1/2 mod ℓ`.
fn half() -> Scalar {
    int(2).invert()
}

/// The encodings `E(start + 2·k·step)`… for `k = 0 … count−1`, given
/// `half_start = start/2` and `step` (already halved), in batches.
fn encode_progression(
    half_start: RistrettoPoint,
    step: RistrettoPoint,
    count: usize,
    out: &mut dyn FnMut(usize, [u8; 32]) -> bool,
) {
    let mut point = half_start;
    let mut done = 0;
    let mut batch = Vec::with_capacity(BATCH.min(count));
    while done < count {
        batch.clear();
        for _ in 0..BATCH.min(count - done) {
            batch.push(point);
            point += step;
        }
        for (n, encoded) in RistrettoPoint::double_and_compress_batch(&batch).iter().enumerate() {
            if out(done + n, encoded.to_bytes()) {
                return;
            }
        }
        done += batch.len();
    }
}

impl DlogTable {
    /// A table for targets bounded by at most `max_bound`, built on up to
    /// two threads.
    pub fn new(max_bound: u64) -> Result<DlogTable, BoundTooLarge> {
        if max_bound > MAX_BOUND {
            return Err(BoundTooLarge(max_bound));
        }
        let width = width(max_bound);
        // width ≤ 2^22 + 1, so it fits in usize and u32.
        let total = width as usize;
        let half_g = G * half();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 2);
        let per = total.div_ceil(threads);
        let parts: Vec<Vec<(u64, u32)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        let first = t * per;
                        let count = per.min(total.saturating_sub(first));
                        let mut part = Vec::with_capacity(count);
                        let start = half_g * int(first as u64);
                        encode_progression(start, half_g, count, &mut |n, e| {
                            part.push((key(&e), (first + n) as u32));
                            false
                        });
                        part
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        let mut keys = Keys::with_capacity_and_hasher(total, BuildHasherDefault::default());
        let mut collisions = Vec::new();
        for (k, i) in parts.into_iter().flatten() {
            if let Some(&first) = keys.get(&k) {
                if first != i {
                    collisions.push((k, i));
                }
            } else {
                keys.insert(k, i);
            }
        }
        if keys.len() + collisions.len() != total {
            // A thread failed: the table would miss values. Build it again on one.
            return Ok(DlogTable::single(width));
        }
        Ok(DlogTable {
            width,
            keys,
            collisions,
        })
    }

    /// The same table built on this thread only.
    fn single(width: u64) -> DlogTable {
        let half_g = G * half();
        let mut keys = Keys::with_capacity_and_hasher(width as usize, BuildHasherDefault::default());
        let mut collisions = Vec::new();
        encode_progression(RistrettoPoint::identity(), half_g, width as usize, &mut |n, e| {
            let k = key(&e);
            match keys.entry(k) {
                std::collections::hash_map::Entry::Occupied(_) => collisions.push((k, n as u32)),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(n as u32);
                }
            }
            false
        });
        DlogTable {
            width,
            keys,
            collisions,
        }
    }

    /// `w`.
    pub fn width(&self) -> u64 {
        self.width
    }

    /// The `i < w` whose key is `k` (all of them, if keys collided).
    fn lookup(&self, k: u64) -> impl Iterator<Item = u32> + '_ {
        self.keys
            .get(&k)
            .copied()
            .into_iter()
            .chain(self.collisions.iter().filter(move |(c, _)| *c == k).map(|(_, i)| *i))
    }

    /// The `t ≤ bound` with `g^t = target`, if there is one. `bound` may be
    /// at most `w² − 1`, the table's reach; a larger one is searched only
    /// that far.
    pub fn solve(&self, target: &RistrettoPoint, bound: u64) -> Option<u64> {
        let w = self.width;
        let reach = w.saturating_mul(w).saturating_sub(1);
        let bound = bound.min(reach);
        let steps = usize::try_from(bound / w + 1).ok()?;
        // γ_k = T − k·w·g, encoded as the doubles of T/2 − k·(w·g/2).
        let h = half();
        let step = -(g_pow(&(int(w) * h)));
        let mut found = None;
        encode_progression(target * h, step, steps, &mut |k, e| {
            for i in self.lookup(key(&e)) {
                let t = (k as u64) * w + u64::from(i);
                if t <= bound && g_pow(&int(t)) == *target {
                    found = Some(t);
                    return true;
                }
            }
            false
        });
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_is_the_ceiling_of_the_square_root() {
        assert_eq!(width(0), 1);
        assert_eq!(width(3), 2);
        assert_eq!(width(4), 3);
        assert_eq!(width(99), 10);
        assert_eq!(width(100), 11);
        assert_eq!(width(MAX_BOUND), (1 << 22) + 1);
        assert_eq!(width(u64::MAX), 1 << 32);
    }

    #[test]
    fn batched_encodings_are_the_encodings_of_g_to_the_i() {
        let half_g = G * half();
        let mut seen = Vec::new();
        encode_progression(RistrettoPoint::identity(), half_g, 5000, &mut |n, e| {
            seen.push((n, e));
            false
        });
        for (n, e) in seen.into_iter().step_by(97).chain([(0, [0; 32])]) {
            assert_eq!(e, g_pow(&int(n as u64)).compress().to_bytes(), "i = {n}");
        }
    }

    #[test]
    fn every_value_up_to_the_bound_is_found_and_none_beyond() {
        let table = DlogTable::new(10_000).unwrap();
        assert_eq!(table.width(), 101);
        for t in [0, 1, 2, 100, 101, 102, 5_000, 9_999, 10_000] {
            assert_eq!(table.solve(&g_pow(&int(t)), 10_000), Some(t), "t = {t}");
        }
        assert_eq!(table.solve(&g_pow(&int(10_001)), 10_000), None);
        assert_eq!(table.solve(&g_pow(&int(50)), 40), None);
        assert_eq!(table.solve(&(-g_pow(&int(1))), 10_000), None);
        assert_eq!(DlogTable::single(101).solve(&g_pow(&int(777)), 10_000), Some(777));
        assert!(DlogTable::new(MAX_BOUND + 1).is_err());
    }
}
