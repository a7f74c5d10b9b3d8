//! PrefLib `.soi` files (strict orders, incomplete).
//!
//! ```text
//! # TITLE: 2002 Dublin North
//! # NUMBER ALTERNATIVES: 12
//! # ALTERNATIVE NAME 1: Cathal Boland F.G.
//! …
//! 800: 12,6,4
//! ```
//!
//! Header lines start with `#`; unknown headers are ignored. Each other
//! line is `count: c1,c2,…` — a ranking (1-based candidates, most preferred
//! first) and the number of ballots carrying it. Ties (`{…}`) are refused.
//! Seats are not part of the format.

use super::ballots::{Profile, RankedBallots, MAX_CANDIDATES};
use super::parse::{ParseError, ParseProblem};
use super::weight::Weight;

/// Parses a PrefLib `.soi` file.
pub fn parse_soi(text: &str) -> Result<Profile<RankedBallots>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut title = String::new();
    let mut declared: Option<(usize, usize)> = None;
    let mut names: Vec<Option<String>> = Vec::new();
    let mut any = false;
    // Pass 1: headers, which give the number of candidates.
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() {
            continue;
        }
        any = true;
        let Some(header) = l.strip_prefix('#') else {
            continue;
        };
        let Some((key, value)) = header.split_once(':') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim();
        if key == "TITLE" {
            title = value.to_owned();
        } else if key == "NUMBER ALTERNATIVES" {
            let n = parse_count(value, line)?;
            declared = Some((n, line));
        } else if let Some(k) = key.strip_prefix("ALTERNATIVE NAME") {
            let k = parse_count(k.trim(), line)?;
            if k == 0 || k > MAX_CANDIDATES {
                return Err(ParseProblem::CandidateCount(k.to_string()).at(line));
            }
            if names.len() < k {
                names.resize(k, None);
            }
            names[k - 1] = Some(value.to_owned());
        }
    }
    if !any {
        return Err(ParseProblem::Empty.at(1));
    }
    let n = match declared {
        Some((n, line)) => {
            if n == 0 || n > MAX_CANDIDATES {
                return Err(ParseProblem::CandidateCount(n.to_string()).at(line));
            }
            if names.len() > n {
                return Err(ParseProblem::CandidateCount(n.to_string()).at(line));
            }
            n
        }
        None => names.len(),
    };
    if n == 0 {
        return Err(ParseProblem::CandidateCount("0".to_owned()).at(1));
    }
    names.resize(n, None);
    let mut candidates = Vec::with_capacity(n);
    for (k, name) in names.into_iter().enumerate() {
        candidates.push(name.ok_or(ParseProblem::MissingName(k + 1).at(1))?);
    }

    // Pass 2: ballots.
    let mut builder = RankedBallots::builder(n);
    let mut ranking = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if l.contains('{') {
            return Err(ParseProblem::SoiTie.at(line));
        }
        let (count, order) = l
            .split_once(':')
            .ok_or(ParseProblem::BadSoiLine(l.to_owned()).at(line))?;
        let weight = Weight::parse(count.trim()).map_err(|e| ParseProblem::Weight(e).at(line))?;
        if weight.is_zero() {
            continue;
        }
        ranking.clear();
        let order = order.trim();
        if !order.is_empty() {
            for token in order.split(',') {
                let token = token.trim();
                let unknown = || {
                    ParseProblem::UnknownCandidate {
                        token: token.to_owned(),
                        count: n,
                    }
                    .at(line)
                };
                if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ParseProblem::BadSoiLine(l.to_owned()).at(line));
                }
                let k: usize = token.parse().map_err(|_| unknown())?;
                if k == 0 || k > n {
                    return Err(unknown());
                }
                if ranking.contains(&(k - 1)) {
                    return Err(ParseProblem::Repeated(token.to_owned()).at(line));
                }
                ranking.push(k - 1);
            }
        }
        builder
            .push(weight, &ranking)
            .map_err(|e| ParseProblem::Ballot(e).at(line))?;
    }
    let mut profile = Profile::new(candidates, builder.build());
    profile.title = title;
    Ok(profile)
}

fn parse_count(text: &str, line: usize) -> Result<usize, ParseError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseProblem::NotANumber(text.to_owned()).at(line));
    }
    text.parse()
        .map_err(|_| ParseProblem::NotANumber(text.to_owned()).at(line))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_file() {
        let text = "# TITLE: t\n# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n\
                    # ALTERNATIVE NAME 2: B\n3: 2,1\n1: 1\n";
        let p = parse_soi(text).unwrap();
        assert_eq!(p.title, "t");
        assert_eq!(p.candidates, ["A", "B"]);
        assert_eq!(p.seats, None);
        assert_eq!(p.ballots.group(0), (3_000_000, &[1u16, 0][..]));
    }
}
