//! Exact decimal numbers for transcripts.
//!
//! Counting works in integers of a method-specific unit (10⁻¹¹ of a vote for
//! Scottish STV, 10⁻¹⁵ for Meek, 10⁻⁶ for the others). A [`Decimal`] carries
//! such an integer together with its number of decimal places so that a
//! transcript prints and serialises every figure exactly, never as a float.

use serde::{Serialize, Serializer};
use std::fmt;

/// An exact decimal number: `units × 10^(−scale)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    units: i128,
    scale: u8,
}

impl Decimal {
    /// `units × 10^(−scale)`.
    pub const fn new(units: i128, scale: u8) -> Decimal {
        Decimal { units, scale }
    }

    /// An integer.
    pub const fn integer(value: i128) -> Decimal {
        Decimal { units: value, scale: 0 }
    }

    /// `units × 10^(−scale)` with trailing zero decimals removed, but never
    /// fewer than `min_scale` decimals. With whole-vote weights the figures of
    /// Scottish STV (scale 11, min 5) thus print with exactly 5 decimals.
    pub fn trimmed(units: i128, scale: u8, min_scale: u8) -> Decimal {
        let mut d = Decimal::new(units, scale);
        while d.scale > min_scale && d.units % 10 == 0 {
            d.units /= 10;
            d.scale -= 1;
        }
        d
    }

    /// The integer of units.
    pub const fn units(&self) -> i128 {
        self.units
    }

    /// The number of decimal places.
    pub const fn scale(&self) -> u8 {
        self.scale
    }

    /// Whether the number is zero.
    pub const fn is_zero(&self) -> bool {
        self.units == 0
    }
}

/// Fixed notation with exactly `scale` decimals: `-12.34500`.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let digits = self.units.unsigned_abs().to_string();
        let scale = usize::from(self.scale);
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        // Left-pad so that there is at least one digit before the point.
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{whole}.{frac}")
    }
}

/// Serialised as a decimal string, so that JSON never carries a float.
impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prints_fixed_decimals() {
        assert_eq!(Decimal::new(130_000_000, 5).to_string(), "1300.00000");
        assert_eq!(Decimal::new(-5, 3).to_string(), "-0.005");
        assert_eq!(Decimal::integer(42).to_string(), "42");
        assert_eq!(Decimal::new(0, 9).to_string(), "0.000000000");
    }

    #[test]
    fn trims_to_minimum_scale() {
        assert_eq!(Decimal::trimmed(130_000_000_000_000, 11, 5).to_string(), "1300.00000");
        assert_eq!(Decimal::trimmed(2_500_000, 6, 0).to_string(), "2.5");
        assert_eq!(Decimal::trimmed(3_000_000, 6, 0).to_string(), "3");
        assert_eq!(Decimal::trimmed(123_456_789_012, 11, 5).to_string(), "1.23456789012");
    }

    #[test]
    fn serialises_as_string() {
        let json = serde_json::to_string(&Decimal::new(25, 1)).unwrap();
        assert_eq!(json, "\"2.5\"");
    }
}
