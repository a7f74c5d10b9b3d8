//! Latency percentiles, by the nearest-rank method: the p-th percentile is
//! the smallest sample with at least p% of the samples at or below it, so
//! every figure reported is a latency some request really had.

use std::time::Duration;

/// Percentiles of a set of latencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latencies {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// The slowest.
    pub max: Duration,
}

/// The nearest-rank `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending);
/// `None` when there are no samples.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

impl Latencies {
    /// Summarise latencies given in microseconds (sorted here).
    pub fn from_micros(mut micros: Vec<u32>) -> Self {
        micros.sort_unstable();
        let at = |p| Duration::from_micros(u64::from(percentile(&micros, p).unwrap_or(0)));
        Latencies {
            count: micros.len(),
            p50: at(50.0),
            p95: at(95.0),
            p99: at(99.0),
            max: at(100.0),
        }
    }
}

/// Microseconds, saturating at `u32::MAX` (71 minutes: far beyond any bound here).
pub fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_are_samples() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 95.0), Some(95));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.5), Some(1));
        let five = [10, 20, 30, 40, 50];
        // 0.5 × 5 = 2.5 → rank 3.
        assert_eq!(percentile(&five, 50.0), Some(30));
        assert_eq!(percentile(&five, 99.0), Some(50));
        assert_eq!(percentile::<u32>(&[], 50.0), None);
        assert_eq!(percentile(&[7], 99.0), Some(7));
    }

    #[test]
    fn summaries_sort_first_and_use_microseconds() {
        let l = Latencies::from_micros(vec![3000, 1000, 2000, 100_000]);
        assert_eq!(l.count, 4);
        assert_eq!(l.p50, Duration::from_millis(2));
        assert_eq!(l.p99, Duration::from_millis(100));
        assert_eq!(l.max, Duration::from_millis(100));
        assert_eq!(Latencies::from_micros(Vec::new()), Latencies::default());
        assert_eq!(micros(Duration::from_secs(1)), 1_000_000);
        assert_eq!(micros(Duration::from_secs(u64::MAX)), u32::MAX);
    }
}
