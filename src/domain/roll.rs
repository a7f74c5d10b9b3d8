//! The member roll CSV: a header row with at least `member_id,name,email`
//! (any order, any case), and optionally `weight` (a member's vote weight,
//! such as 1, 2.5 or 100 shares; 1 when absent); other columns are ignored
//! with a notice. Every bad
//! row is reported with its row number (the header is row 1), and a roll with
//! any bad row imports nothing.

use std::collections::HashMap;

use teller_audit::count::Weight;

/// The longest member id accepted.
pub const MAX_MEMBER_ID: usize = 100;
/// The largest roll file accepted, in bytes.
pub const MAX_ROLL_BYTES: usize = 256 * 1024 * 1024;

/// One member as read from the roll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollMember {
    /// The row it came from (header = 1).
    pub row: u64,
    /// The organisation's member id.
    pub member_id: String,
    /// Full name.
    pub name: String,
    /// E-mail address; empty for members reached by letter.
    pub email: String,
    /// Vote weight (1 unless the roll has a `weight` column).
    pub weight: Weight,
}

/// The largest vote weight one member may hold.
pub const MAX_MEMBER_WEIGHT: u64 = 1_000_000;

/// A roll that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roll {
    /// The members, in file order.
    pub members: Vec<RollMember>,
    /// Things worth knowing that are not errors (ignored columns).
    pub notices: Vec<String>,
}

/// A problem on one row (row 1 is the header; 0 means the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// Row number as a spreadsheet shows it.
    pub row: u64,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "row {}: {}", self.row, self.message)
        }
    }
}

/// Whether `email` looks like an address mail can be sent to. Deliberately
/// simple: one `@`, something before it, a dotted domain after it, no spaces.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
}

/// How each column of a roll's header row is used: (heading, field or `None`
/// when ignored). Empty when the header cannot be read.
pub fn column_mapping(bytes: &[u8]) -> Vec<(String, Option<&'static str>)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let Ok(headers) = reader.headers() else {
        return vec![];
    };
    headers
        .iter()
        .map(|h| {
            let field = match h.trim().to_ascii_lowercase().as_str() {
                "member_id" => Some("member id"),
                "name" => Some("name"),
                "email" => Some("e-mail"),
                "weight" => Some("vote weight"),
                _ => None,
            };
            (h.trim().to_string(), field)
        })
        .collect()
}

/// Parse and check a roll file.
pub fn parse(bytes: &[u8]) -> Result<Roll, Vec<RowProblem>> {
    let whole = |message: &str| {
        vec![RowProblem {
            row: 0,
            message: message.to_string(),
        }]
    };
    if bytes.len() > MAX_ROLL_BYTES {
        return Err(whole("the roll file is larger than 256 MiB"));
    }
    // Spreadsheets often save a byte-order mark first.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![csv_problem(&mut Lines::new(bytes), &e, 1)]),
    };
    let mut columns: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    let mut ignored = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let key = h.trim().to_ascii_lowercase();
        match key.as_str() {
            "member_id" | "name" | "email" | "weight" => {
                if columns.insert(key.clone(), i).is_some() {
                    problems.push(RowProblem {
                        row: 1,
                        message: format!("the column {key:?} appears twice"),
                    });
                }
            }
            _ => ignored.push(if h.trim().is_empty() {
                format!("column {}", i + 1)
            } else {
                format!("{:?}", h.trim())
            }),
        }
    }
    let missing: Vec<&str> = ["member_id", "name", "email"]
        .into_iter()
        .filter(|c| !columns.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        problems.push(RowProblem {
            row: 1,
            message: format!(
                "the header row lacks the column(s) {}; the first row must name at least member_id, name and email",
                missing.join(", ")
            ),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (id_col, name_col, email_col) = (columns["member_id"], columns["name"], columns["email"]);
    let weight_col = columns.get("weight").copied();

    let mut members: Vec<RollMember> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut lines = Lines::new(bytes);
    for (i, record) in reader.records().enumerate() {
        let row_guess = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(csv_problem(&mut lines, &e, row_guess));
                continue;
            }
        };
        let row = record.position().map(|p| lines.at(p.byte())).unwrap_or(row_guess);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // a blank line, as spreadsheets leave at the end
        }
        let field = |c: usize| record.get(c).unwrap_or("").trim().to_string();
        let (member_id, name, email) = (field(id_col), field(name_col), field(email_col));
        let mut row_problems = Vec::new();
        if member_id.is_empty() {
            row_problems.push("the member id is missing".to_string());
        } else if member_id.chars().count() > MAX_MEMBER_ID || member_id.chars().any(char::is_control) {
            row_problems.push(format!(
                "the member id must be at most {MAX_MEMBER_ID} characters of text"
            ));
        } else if let Some(first) = seen.get(&member_id) {
            row_problems.push(format!("member id {member_id:?} is already on row {first}"));
        }
        if name.is_empty() {
            row_problems.push("the name is missing".to_string());
        } else if name.chars().count() > 200 || name.chars().any(char::is_control) {
            row_problems.push("the name must be at most 200 characters of text".to_string());
        }
        let weight = match weight_col.map(field) {
            None => Weight::ONE,
            Some(text) if text.is_empty() => Weight::ONE,
            Some(text) => match Weight::parse(&text) {
                Ok(w) if w.is_zero() => {
                    row_problems.push("the weight is 0; leave the member off the roll instead".to_string());
                    Weight::ONE
                }
                Ok(w) if w.micros() > MAX_MEMBER_WEIGHT * 1_000_000 => {
                    row_problems.push(format!(
                        "the weight {text} is above the largest allowed, {MAX_MEMBER_WEIGHT}"
                    ));
                    Weight::ONE
                }
                Ok(w) => w,
                Err(e) => {
                    row_problems.push(format!("{e}; write a number such as 1, 2.5 or 100"));
                    Weight::ONE
                }
            },
        };
        if !email.is_empty() && !is_plausible_email(&email) {
            row_problems.push(format!(
                "{email:?} is not a valid e-mail address (leave it empty for members reached by letter)"
            ));
        }
        if row_problems.is_empty() {
            seen.insert(member_id.clone(), row);
            members.push(RollMember {
                row,
                member_id,
                name,
                email,
                weight,
            });
        } else {
            if !member_id.is_empty() {
                seen.entry(member_id).or_insert(row);
            }
            problems.extend(row_problems.into_iter().map(|message| RowProblem { row, message }));
        }
    }
    if problems.is_empty() && members.is_empty() {
        problems.push(RowProblem {
            row: 0,
            message: "the roll has a header but no members".into(),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let notices = if ignored.is_empty() {
        vec![]
    } else {
        vec![format!(
            "ignored column(s) {} (only member_id, name and email are used)",
            ignored.join(", ")
        )]
    };
    Ok(Roll { members, notices })
}

/// Line numbers, counted from 1 as a text editor counts them (CRLF, CR and
/// LF each end one line), of records met in file order.
///
/// The csv crate's own `Position::line` is not used: after a CRLF or CR line
/// end it names the line before, and after a blank line the blank one
/// (fuzzing finding F1, docs/FUZZING.md), because a record's position is
/// taken before the previous line end and blank lines are skipped. Counting
/// resumes where the last record was found, so a whole roll costs one pass.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Bytes before this have been counted...
    pos: usize,
    /// ...and hold this many line ends.
    breaks: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            pos: 0,
            breaks: 0,
        }
    }

    /// The line on which a record starting at byte `offset` begins.
    fn at(&mut self, offset: u64) -> u64 {
        let bytes = self.bytes;
        let mut start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
        // The record begins at its first byte that is not a line end.
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.pos {
            // Not in file order (never expected): count from the beginning.
            *self = Lines::new(bytes);
        }
        // A CR ends a line unless an LF follows. `start` is past every line
        // end before the record, so no CRLF straddles it.
        self.breaks += (self.pos..start)
            .filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .count() as u64;
        self.pos = start;
        self.breaks + 1
    }
}

fn csv_problem(lines: &mut Lines, e: &csv::Error, row: u64) -> RowProblem {
    let row = e.position().map(|p| lines.at(p.byte())).unwrap_or(row);
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8 text; save the file as CSV UTF-8".to_string(),
        _ => "the row is not valid CSV (check quotes)".to_string(),
    };
    RowProblem { row, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_roll_parses_with_extra_columns_noted() {
        let roll =
            parse(b"\xEF\xBB\xBFMember_ID,Name,Email,Region\nM1,Ann Lee,ann@example.org,North\nM2,Bo Chan,,South\n\n")
                .unwrap();
        assert_eq!(roll.members.len(), 2);
        assert_eq!(roll.members[1].email, "");
        assert_eq!(roll.members[1].row, 3);
        assert!(roll.notices[0].contains("Region"), "{:?}", roll.notices);
    }

    #[test]
    fn row_numbers_are_lines_whatever_the_line_ends() {
        // Finding F1 (docs/FUZZING.md): with CRLF the csv crate's line
        // numbers were one too low, with CR-only line ends every member was
        // "row 1", and blank lines shifted the rows after them.
        for roll in [
            &b"member_id,name,email\r\nA1,Ann,a@example.org\r\nB2,Bo,b@example.org\r\n"[..],
            b"member_id,name,email\rA1,Ann,a@example.org\rB2,Bo,b@example.org\r",
            b"member_id,name,email\nA1,Ann,a@example.org\nB2,Bo,b@example.org",
            b"\xEF\xBB\xBFmember_id,name,email\r\nA1,Ann,a@example.org\nB2,Bo,b@example.org\r",
        ] {
            let rows: Vec<u64> = parse(roll).unwrap().members.iter().map(|m| m.row).collect();
            assert_eq!(rows, vec![2, 3], "{:?}", String::from_utf8_lossy(roll));
        }
        let blank_lines = b"member_id,name,email\n\nA1,Ann,a@example.org\r\n\r\n\r\nB2,Bo,b@example.org\n";
        let rows: Vec<u64> = parse(blank_lines).unwrap().members.iter().map(|m| m.row).collect();
        assert_eq!(rows, vec![3, 6]);
        let problems = parse(b"member_id,name,email\r\nA1,Ann,a@example.org\r\nA1,Bo,not-an-email\r\n").unwrap_err();
        let rows: Vec<u64> = problems.iter().map(|p| p.row).collect();
        assert_eq!(rows, vec![3, 3], "{problems:?}");
        assert!(problems[0].message.contains("already on row 2"), "{problems:?}");
        let bad_utf8 = parse(b"member_id,name,email\r\nA1,Ann,a@example.org\r\nB2,\xff,b@example.org\r\n").unwrap_err();
        assert_eq!(bad_utf8[0].row, 3, "{bad_utf8:?}");
    }

    #[test]
    fn row_numbers_stay_right_through_a_long_roll_with_mixed_line_ends() {
        let mut roll = b"member_id,name,email".to_vec();
        let ends: [&[u8]; 4] = [b"\r\n", b"\n", b"\r", b"\n\n"];
        let mut expected = Vec::new();
        let mut line = 1;
        for i in 0..20_000 {
            let end = ends[i % ends.len()];
            roll.extend_from_slice(end);
            line += if end == b"\n\n" { 2 } else { 1 };
            roll.extend_from_slice(format!("M{i},Member {i},m{i}@example.org").as_bytes());
            expected.push(line);
        }
        let rows: Vec<u64> = parse(&roll).unwrap().members.iter().map(|m| m.row).collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_row_number() {
        let problems = parse(b"member_id,name,email\nM1,Ann,ann@example.org\n,Bob,bob@example.org\nM1,Cy,cy@example.org\nM4,Di,not-an-email\n").unwrap_err();
        let rows: Vec<u64> = problems.iter().map(|p| p.row).collect();
        assert_eq!(rows, vec![3, 4, 5], "{problems:?}");
        assert!(problems[1].message.contains("already on row 2"));
        assert!(problems[2].message.contains("not a valid e-mail"));
    }

    #[test]
    fn a_missing_column_or_empty_roll_is_refused() {
        assert_eq!(parse(b"id,name,email\n1,a,a@b.c\n").unwrap_err()[0].row, 1);
        assert!(parse(b"member_id,name,email\n").unwrap_err()[0]
            .message
            .contains("no members"));
        assert!(parse(b"").is_err());
    }

    #[test]
    fn invalid_utf8_and_broken_quotes_are_reported() {
        let p = parse(b"member_id,name,email\nM1,\xff\xfe,a@b.c\n").unwrap_err();
        assert_eq!(p[0].row, 2);
        assert!(p[0].message.contains("UTF-8"));
    }

    #[test]
    fn plausible_emails() {
        assert!(is_plausible_email("a.b+c@example.co.uk"));
        for bad in ["a@b", "@b.c", "a b@c.d", "a@b..c", "a@@b.c", "a@.b.c"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}
