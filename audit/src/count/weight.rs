//! Ballot weights: exact fixed-point numbers with six decimal places.
//!
//! A member may carry a vote weight such as 1, 2.5 or 100 (shares). Weights
//! are stored as an integer number of micro-votes so that every sum is exact;
//! a weight counts as that many identical ballots ("multiplicity"), so a
//! ballot of weight 2 is counted exactly like two ballots of weight 1.

use std::fmt;
use std::str::FromStr;

/// Weight units in one vote: a weight is an integer multiple of 10⁻⁶.
pub const WEIGHT_SCALE: u64 = 1_000_000;

/// Decimal places of a weight.
pub const WEIGHT_DECIMALS: u32 = 6;

/// Largest weight, in micro-votes, of one ballot and of all ballots together
/// (10¹² votes). Keeping totals below this bound is what lets every counting
/// method use 128-bit integers without overflow.
pub const MAX_WEIGHT_MICROS: u64 = 1_000_000_000_000_000_000;

/// The weight of a ballot, in micro-votes (10⁻⁶ of a vote).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Weight(u64);

/// Why a weight could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeightError {
    /// The text is not a non-negative decimal number.
    #[error("weight {0:?} is not a decimal number")]
    NotANumber(String),
    /// More than six decimal places.
    #[error("weight {0:?} has more than 6 decimal places")]
    TooPrecise(String),
    /// Above [`MAX_WEIGHT_MICROS`].
    #[error("weight {0:?} is too large")]
    TooLarge(String),
}

impl Weight {
    /// No weight at all.
    pub const ZERO: Weight = Weight(0);
    /// One vote: the common case.
    pub const ONE: Weight = Weight(WEIGHT_SCALE);

    /// A weight of `micros` micro-votes, if within [`MAX_WEIGHT_MICROS`].
    pub const fn from_micros(micros: u64) -> Option<Weight> {
        if micros <= MAX_WEIGHT_MICROS {
            Some(Weight(micros))
        } else {
            None
        }
    }

    /// A weight of a whole number of votes, if within bounds.
    pub const fn from_votes(votes: u64) -> Option<Weight> {
        match votes.checked_mul(WEIGHT_SCALE) {
            Some(micros) => Weight::from_micros(micros),
            None => None,
        }
    }

    /// The weight in micro-votes.
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// Whether the weight is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Reads a weight written as a decimal number: `1`, `2.5`, `0.000001`.
    /// No sign, no exponent, at most six decimal places.
    pub fn parse(text: &str) -> Result<Weight, WeightError> {
        let bad = || WeightError::NotANumber(text.to_owned());
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || !digits(int_part) || !digits(frac_part) {
            return Err(bad());
        }
        if text.contains('.') && frac_part.is_empty() {
            return Err(bad());
        }
        if frac_part.len() > WEIGHT_DECIMALS as usize {
            return Err(WeightError::TooPrecise(text.to_owned()));
        }
        let too_large = || WeightError::TooLarge(text.to_owned());
        let mut micros: u64 = 0;
        for b in int_part.bytes() {
            micros = micros
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(b - b'0')))
                .ok_or_else(too_large)?;
        }
        micros = micros.checked_mul(WEIGHT_SCALE).ok_or_else(too_large)?;
        let mut frac: u64 = 0;
        for b in frac_part.bytes() {
            frac = frac * 10 + u64::from(b - b'0');
        }
        for _ in frac_part.len()..WEIGHT_DECIMALS as usize {
            frac *= 10;
        }
        micros = micros.checked_add(frac).ok_or_else(too_large)?;
        Weight::from_micros(micros).ok_or_else(too_large)
    }
}

/// In JSON a weight is its canonical decimal text (`"1"`, `"2.5"`): no
/// float, no trailing zeros.
impl serde::Serialize for Weight {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Weight {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let w = Weight::parse(&text).map_err(serde::de::Error::custom)?;
        if w.to_string() != text {
            return Err(serde::de::Error::custom(format!(
                "weight {text:?} is not written canonically (write {w})"
            )));
        }
        Ok(w)
    }
}

impl FromStr for Weight {
    type Err = WeightError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Weight::parse(s)
    }
}

/// Shortest exact decimal form: `1`, `2.5`, `0.000001`.
impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / WEIGHT_SCALE;
        let mut frac = self.0 % WEIGHT_SCALE;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let mut places = WEIGHT_DECIMALS as usize;
        while frac % 10 == 0 {
            frac /= 10;
            places -= 1;
        }
        write!(f, "{whole}.{frac:0places$}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        for (text, micros) in [
            ("1", 1_000_000),
            ("2.5", 2_500_000),
            ("100", 100_000_000),
            ("0.000001", 1),
            ("0", 0),
        ] {
            let w = Weight::parse(text).unwrap();
            assert_eq!(w.micros(), micros);
            assert_eq!(w.to_string(), text);
        }
        assert_eq!(Weight::parse("2.50").unwrap().to_string(), "2.5");
    }

    #[test]
    fn rejects_bad_weights() {
        assert!(matches!(Weight::parse(""), Err(WeightError::NotANumber(_))));
        assert!(matches!(Weight::parse("-1"), Err(WeightError::NotANumber(_))));
        assert!(matches!(Weight::parse("1."), Err(WeightError::NotANumber(_))));
        assert!(matches!(Weight::parse(".5"), Err(WeightError::NotANumber(_))));
        assert!(matches!(Weight::parse("1e3"), Err(WeightError::NotANumber(_))));
        assert!(matches!(Weight::parse("0.0000001"), Err(WeightError::TooPrecise(_))));
        assert!(matches!(
            Weight::parse("99999999999999999999999"),
            Err(WeightError::TooLarge(_))
        ));
        assert!(matches!(Weight::parse("1000000000001"), Err(WeightError::TooLarge(_))));
    }
}
