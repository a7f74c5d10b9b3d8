//! Words for numbers: "1 ballot", "7 ballots" — never "ballot(s)"; trackers
//! in groups.

/// `n` and the noun in its number: `count(1, "ballot", "ballots")` is
/// "1 ballot", `count(7, …)` "7 ballots".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A tracker (hex) in groups of four digits, for reading aloud or
/// comparing, as the receipt shows it.
pub fn grouped(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_and_many() {
        assert_eq!(super::count(0, "ballot", "ballots"), "0 ballots");
        assert_eq!(super::count(1, "ballot", "ballots"), "1 ballot");
        assert_eq!(super::count(7, "seat", "seats"), "7 seats");
    }
}
