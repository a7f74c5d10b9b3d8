//! BLT ballot files.
//!
//! ```text
//! 4 2                      candidates seats
//! -2                       optional: candidate 2 withdrew
//! [nick a b c d]           optional extensions: [nick …] [tie …] [withdrawn …]
//! 3 1 3 4 0                weight, preferences (1-based), 0
//! (b7) 2.5 4 1 0           an optional ballot id in parentheses
//! 0                        end of ballots
//! "Adam"                   one quoted name per candidate
//! …
//! "Title"                  quoted title, optionally more quoted strings
//! ```
//!
//! Newlines are ordinary white space (as in Droop) except that an `[option]`
//! must close on its line; `#` starts a comment.
//! Preferences may be candidate numbers or `[nick]` nicknames. Equal
//! rankings (`a=b`) are refused: Teller ballots are strict rankings.

use super::ballots::{Profile, RankedBallots, MAX_CANDIDATES};
use super::parse::{ParseError, ParseProblem};
use super::weight::Weight;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Quoted(&'a str),
    Bracket(Vec<&'a str>),
}

struct Token<'a> {
    tok: Tok<'a>,
    line: usize,
}

fn tokenize(text: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut out = Vec::new();
    let mut bracket: Option<(Vec<&str>, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let mut rest = raw;
        loop {
            rest = rest.trim_start();
            if rest.is_empty() || rest.starts_with('#') {
                break;
            }
            if let Some(after) = rest.strip_prefix('"') {
                let end = after.find('"').ok_or(ParseProblem::UnterminatedString.at(line))?;
                if bracket.is_some() {
                    return Err(ParseProblem::Unexpected("\"".to_owned()).at(line));
                }
                out.push(Token {
                    tok: Tok::Quoted(&after[..end]),
                    line,
                });
                rest = &after[end + 1..];
                continue;
            }
            if let Some(after) = rest.strip_prefix('[') {
                if bracket.is_some() {
                    return Err(ParseProblem::Unexpected("[".to_owned()).at(line));
                }
                bracket = Some((Vec::new(), line));
                rest = after;
                continue;
            }
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '[' || c == ']' || c == '#')
                .unwrap_or(rest.len());
            if end == 0 {
                // A lone `]`.
                rest = &rest[1..];
                match bracket.take() {
                    Some((words, start)) => out.push(Token {
                        tok: Tok::Bracket(words),
                        line: start,
                    }),
                    None => return Err(ParseProblem::Unexpected("]".to_owned()).at(line)),
                }
                continue;
            }
            let word = &rest[..end];
            rest = &rest[end..];
            match &mut bracket {
                Some((words, _)) => words.push(word),
                None => out.push(Token {
                    tok: Tok::Word(word),
                    line,
                }),
            }
        }
        // An option must close on its own line.
        if let Some((_, start)) = bracket {
            return Err(ParseProblem::UnterminatedOption.at(start));
        }
    }
    Ok(out)
}

fn number(word: &str, line: usize) -> Result<usize, ParseError> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseProblem::NotANumber(word.to_owned()).at(line));
    }
    word.parse::<usize>()
        .map_err(|_| ParseProblem::NotANumber(word.to_owned()).at(line))
}

/// Resolves a candidate token (1-based number or nickname) to 0-based.
struct Resolver<'a> {
    n: usize,
    nicks: Vec<&'a str>,
}

impl Resolver<'_> {
    fn candidate(&self, token: &str, line: usize) -> Result<usize, ParseError> {
        if token.contains('=') {
            return Err(ParseProblem::EqualRanking(token.to_owned()).at(line));
        }
        let unknown = || {
            ParseProblem::UnknownCandidate {
                token: token.to_owned(),
                count: self.n,
            }
            .at(line)
        };
        if token.bytes().all(|b| b.is_ascii_digit()) {
            let k: usize = token.parse().map_err(|_| unknown())?;
            if k == 0 || k > self.n {
                return Err(unknown());
            }
            return Ok(k - 1);
        }
        self.nicks.iter().position(|&nick| nick == token).ok_or_else(unknown)
    }
}

/// Parses a BLT file.
pub fn parse_blt(text: &str) -> Result<Profile<RankedBallots>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let tokens = tokenize(text)?;
    let mut it = tokens.iter().peekable();
    let last_line = text.lines().count().max(1);

    // Header.
    let (n, seats) = match (it.next(), it.next()) {
        (
            Some(Token {
                tok: Tok::Word(a),
                line,
            }),
            Some(Token { tok: Tok::Word(b), .. }),
        ) => {
            let n = number(a, *line).map_err(|_| ParseProblem::BadHeader(format!("`{a} {b}`")).at(*line))?;
            let s = number(b, *line).map_err(|_| ParseProblem::BadHeader(format!("`{a} {b}`")).at(*line))?;
            if n == 0 || n > MAX_CANDIDATES {
                return Err(ParseProblem::CandidateCount(a.to_string()).at(*line));
            }
            if s == 0 {
                return Err(ParseProblem::NoSeats.at(*line));
            }
            (n, s)
        }
        (None, _) => return Err(ParseProblem::Empty.at(1)),
        (Some(t), _) => return Err(ParseProblem::BadHeader("something else".to_owned()).at(t.line)),
    };

    // Withdrawn candidates (`-k`) and `[…]` options, in any order.
    let mut resolver = Resolver { n, nicks: Vec::new() };
    let mut withdrawn_tokens: Vec<(&str, usize)> = Vec::new();
    let mut tie_tokens: Option<(Vec<&str>, usize)> = None;
    while let Some(t) = it.peek() {
        match &t.tok {
            Tok::Word(w) if w.starts_with('-') => {
                withdrawn_tokens.push((&w[1..], t.line));
            }
            Tok::Bracket(words) => {
                let (name, args) = words
                    .split_first()
                    .ok_or(ParseProblem::UnknownOption("]".to_owned()).at(t.line))?;
                match *name {
                    "nick" => resolver.nicks = args.to_vec(),
                    "tie" => tie_tokens = Some((args.to_vec(), t.line)),
                    "withdrawn" => withdrawn_tokens.extend(args.iter().map(|a| (*a, t.line))),
                    // Droop's own counting options do not concern Teller.
                    "droop" => {}
                    other => return Err(ParseProblem::UnknownOption(other.to_owned()).at(t.line)),
                }
            }
            _ => break,
        }
        it.next();
    }
    let mut withdrawn = Vec::new();
    for (token, line) in withdrawn_tokens {
        let c = resolver.candidate(token, line)?;
        if !withdrawn.contains(&c) {
            withdrawn.push(c);
        }
    }
    let tie_order = match tie_tokens {
        Some((words, line)) => Some(
            words
                .iter()
                .map(|w| resolver.candidate(w, line))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };

    // Ballots, up to a lone 0.
    let mut builder = RankedBallots::builder(n);
    let mut ranking: Vec<usize> = Vec::new();
    let mut ended = false;
    // A ballot spread over lines is legal, but usually means a missing 0
    // that swallowed the end-of-ballots line: blame that ballot then.
    let mut spread_ballot: Option<usize> = None;
    while let Some(t) = it.next() {
        let mut t = t;
        let Tok::Word(mut word) = t.tok else {
            let problem = match spread_ballot {
                Some(line) => ParseProblem::UnterminatedBallot.at(line),
                None => ParseProblem::MissingEnd.at(t.line),
            };
            return Err(problem);
        };
        if word == "0" {
            ended = true;
            break;
        }
        if word.starts_with('(') {
            if !word.ends_with(')') {
                return Err(ParseProblem::Unexpected(word.to_owned()).at(t.line));
            }
            t = it.next().ok_or(ParseProblem::UnterminatedBallot.at(t.line))?;
            word = match t.tok {
                Tok::Word(w) => w,
                _ => return Err(ParseProblem::UnterminatedBallot.at(t.line)),
            };
        }
        let line = t.line;
        let weight = Weight::parse(word).map_err(|e| ParseProblem::Weight(e).at(line))?;
        ranking.clear();
        loop {
            let Some(p) = it.next() else {
                return Err(ParseProblem::UnterminatedBallot.at(line));
            };
            let Tok::Word(w) = p.tok else {
                return Err(ParseProblem::UnterminatedBallot.at(line));
            };
            if w == "0" {
                spread_ballot = (p.line != line).then_some(line);
                break;
            }
            let c = resolver.candidate(w, p.line)?;
            if ranking.contains(&c) {
                return Err(ParseProblem::Repeated(w.to_owned()).at(p.line));
            }
            ranking.push(c);
        }
        builder
            .push(weight, &ranking)
            .map_err(|e| ParseProblem::Ballot(e).at(line))?;
    }
    if !ended {
        return Err(ParseProblem::MissingEnd.at(last_line));
    }

    // Names, title, and optional further quoted strings (ignored).
    let mut names = Vec::with_capacity(n);
    let mut title = String::new();
    let mut extra = 0usize;
    for t in it {
        match t.tok {
            Tok::Quoted(s) if names.len() < n => names.push(s.to_owned()),
            Tok::Quoted(s) if extra == 0 => {
                title = s.to_owned();
                extra += 1;
            }
            Tok::Quoted(_) => extra += 1,
            Tok::Word(_) if names.len() < n => {
                return Err(ParseProblem::MissingNames {
                    expected: n,
                    found: names.len(),
                }
                .at(t.line))
            }
            Tok::Word(w) => return Err(ParseProblem::Unexpected(w.to_owned()).at(t.line)),
            Tok::Bracket(ref words) => {
                return Err(ParseProblem::Unexpected(format!("[{}]", words.join(" "))).at(t.line))
            }
        }
    }
    if names.len() < n {
        return Err(ParseProblem::MissingNames {
            expected: n,
            found: names.len(),
        }
        .at(last_line));
    }
    Ok(Profile {
        title,
        candidates: names,
        seats: Some(seats),
        withdrawn,
        tie_order,
        ballots: builder.build(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_extensions() {
        let text = "3 2\n-2\n[tie 3 2 1]\n(a) 2 1 3 0\n1.5 3 0\n0\n\"A\"\n\"B\" \"C\"\n\"T\"\n";
        let p = parse_blt(text).unwrap();
        assert_eq!(p.candidates, ["A", "B", "C"]);
        assert_eq!(p.seats, Some(2));
        assert_eq!(p.withdrawn, [1]);
        assert_eq!(p.tie_order, Some(vec![2, 1, 0]));
        assert_eq!(p.title, "T");
        assert_eq!(p.ballots.group(0), (2_000_000, &[0u16, 2][..]));
        assert_eq!(p.ballots.group(1), (1_500_000, &[2u16][..]));
    }

    #[test]
    fn parses_nicknames() {
        let text = "2 1\n[nick x y]\n[withdrawn y]\n1 y x 0\n0\n\"X\" \"Y\"";
        let p = parse_blt(text).unwrap();
        assert_eq!(p.withdrawn, [1]);
        assert_eq!(p.ballots.group(0).1, &[1u16, 0][..]);
        assert_eq!(p.title, "");
    }
}
