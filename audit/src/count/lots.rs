//! Lots: the last resort for ties, reproducible by anyone from the seed.
//!
//! Every method first applies its own tie rule (for example earlier-round
//! totals). When that fails the tied candidates are put in an order and the
//! first of them is chosen — excluded first, elected first, or transferred
//! first, depending on what is being decided:
//!
//! 1. If the profile carries an explicit tie order (BLT `[tie …]`) that
//!    lists every tied candidate, they are taken in that order.
//! 2. Otherwise each tied candidate `c` gets the key
//!    `SHA-256(seed ‖ context ‖ u32_be(c))`, where `seed` is the 32-byte
//!    election seed, `context` the UTF-8 bytes of a string naming the method,
//!    round and purpose of the draw (for example `stv-scottish/round 3/exclude`),
//!    and `c` the 0-based candidate number. Candidates are ordered by key,
//!    smallest first (bytewise), equal keys (never seen) by candidate number.

use ring::digest;
use serde::Serialize;

/// How a tie was finally decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum TieRule {
    /// The method's own rule: totals at the end of an earlier round.
    PriorRound {
        /// The round whose totals decided.
        round: usize,
    },
    /// The explicit tie order supplied with the ballots.
    ExplicitOrder,
    /// Lots drawn from the seed.
    Lots,
}

/// Draws lots from a seed, or follows an explicit tie order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TieBreaker {
    seed: [u8; 32],
    order: Option<Vec<usize>>,
}

impl TieBreaker {
    /// Lots from this 32-byte seed.
    pub fn new(seed: [u8; 32]) -> TieBreaker {
        TieBreaker { seed, order: None }
    }

    /// Uses `order` (candidate numbers, first chosen first) for every tie
    /// whose candidates it all lists; lots remain for the others.
    pub fn with_order(mut self, order: Vec<usize>) -> TieBreaker {
        self.order = Some(order);
        self
    }

    /// The seed.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The explicit order, if any.
    pub fn explicit_order(&self) -> Option<&[usize]> {
        self.order.as_deref()
    }

    /// Orders `tied` (first = chosen) and says how. `context` names the
    /// draw (method, round, purpose) so that different draws are independent.
    pub fn resolve(&self, tied: &[usize], context: &str) -> (Vec<usize>, TieRule) {
        if let Some(order) = &self.order {
            let position = |c: usize| order.iter().position(|&o| o == c);
            if tied.iter().all(|&c| position(c).is_some()) {
                let mut out = tied.to_vec();
                out.sort_by_key(|&c| (position(c), c));
                return (out, TieRule::ExplicitOrder);
            }
        }
        let mut keyed: Vec<([u8; 32], usize)> = tied.iter().map(|&c| (lot_key(&self.seed, context, c), c)).collect();
        keyed.sort();
        (keyed.into_iter().map(|(_, c)| c).collect(), TieRule::Lots)
    }
}

/// `SHA-256(seed ‖ context ‖ u32_be(candidate))`: the lot of one candidate.
pub fn lot_key(seed: &[u8; 32], context: &str, candidate: usize) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(seed);
    ctx.update(context.as_bytes());
    // Candidate numbers are below 65 536 (see MAX_CANDIDATES).
    ctx.update(&(candidate as u32).to_be_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lots_are_a_function_of_seed_and_context() {
        let t = TieBreaker::new([0; 32]);
        let (a, rule) = t.resolve(&[0, 1, 2, 3], "x");
        assert_eq!(rule, TieRule::Lots);
        assert_eq!(t.resolve(&[3, 2, 1, 0], "x").0, a);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3]);
    }

    #[test]
    fn lot_key_matches_sha256_of_concatenation() {
        // SHA-256 of 32 zero bytes, "ctx", then 00 00 00 05.
        let mut msg = vec![0u8; 32];
        msg.extend_from_slice(b"ctx");
        msg.extend_from_slice(&[0, 0, 0, 5]);
        let expected = digest::digest(&digest::SHA256, &msg);
        assert_eq!(lot_key(&[0; 32], "ctx", 5).as_slice(), expected.as_ref());
    }

    #[test]
    fn explicit_order_wins_when_complete() {
        let t = TieBreaker::new([0; 32]).with_order(vec![2, 1, 0]);
        assert_eq!(t.resolve(&[0, 1], "x"), (vec![1, 0], TieRule::ExplicitOrder));
        let partial = TieBreaker::new([0; 32]).with_order(vec![2]);
        assert_eq!(partial.resolve(&[0, 1], "x").1, TieRule::Lots);
    }
}
