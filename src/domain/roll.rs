//! The member roll CSV: a header row with at least `member_id,name,email`
//! (any order, any case), and optionally `weight` (a member's vote weight,
//! such as 1, 2.5 or 100 shares; 1 when absent) and `language` (`en` or
//! `es`: the language of the member's messages and letters, and of their
//! ballot when they arrive with their link); other columns are ignored with
//! a notice. Every bad
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
    /// The language messages and letters are written in, from the optional
    /// `language` column (`en`, `es`); `None` when the roll does not say.
    pub language: Option<crate::i18n::Lang>,
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
    match reader.headers() {
        Ok(headers) => mapping_of(headers),
        Err(_) => vec![],
    }
}

/// The same, for a header already read.
fn mapping_of(headers: &csv::StringRecord) -> Vec<(String, Option<&'static str>)> {
    headers
        .iter()
        .map(|h| {
            let field = match h.trim().to_ascii_lowercase().as_str() {
                "member_id" => Some("member id"),
                "name" => Some("name"),
                "email" => Some("e-mail"),
                "weight" => Some("vote weight"),
                "language" => Some("language"),
                _ => None,
            };
            (h.trim().to_string(), field)
        })
        .collect()
}

/// Parse and check a roll file held in memory (the command line, tests and
/// the fuzzer): every problem is reported.
pub fn parse(bytes: &[u8]) -> Result<Roll, Vec<RowProblem>> {
    if bytes.len() > MAX_ROLL_BYTES {
        return Err(vec![RowProblem {
            row: 0,
            message: TOO_LARGE.to_string(),
        }]);
    }
    let mut members = Vec::new();
    let mut problems = Vec::new();
    let summary = read(
        bytes,
        |m| {
            members.push(m);
            Ok::<(), std::convert::Infallible>(())
        },
        |p| problems.push(p),
    );
    let Ok(summary) = summary;
    if problems.is_empty() {
        Ok(Roll {
            members,
            notices: summary.notices,
        })
    } else {
        Err(problems)
    }
}

const TOO_LARGE: &str = "the roll file is larger than 256 MiB";

/// What [`read`] found, besides the members and problems it handed on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Members that passed every check.
    pub members: u64,
    /// Problems found (all of them, however many were kept).
    pub problems: u64,
    /// How each column of the header is used: (heading, field or `None`).
    pub columns: Vec<(String, Option<&'static str>)>,
    /// Things worth knowing that are not errors (ignored columns).
    pub notices: Vec<String>,
}

/// Read and check a roll from `input` row by row, in bounded memory: each
/// member that passes its checks is handed to `member` and each problem to
/// `problem`, in file order, and neither is kept here. What is kept is one
/// row at a time and the member ids seen so far (to find duplicates). A
/// roll is good when `problems` is 0 at the end; the caller keeps nothing
/// of a roll that is not (all rows or none). `member` may stop the reading
/// with an error, which is returned as is. Reading stops at
/// [`MAX_ROLL_BYTES`] with a problem for the file as a whole; an input that
/// fails to read (an upload cut off) is a problem too.
pub fn read<R: std::io::Read, E>(
    input: R,
    mut member: impl FnMut(RollMember) -> Result<(), E>,
    mut problem: impl FnMut(RowProblem),
) -> Result<ReadSummary, E> {
    let mut summary = ReadSummary::default();
    let mut report = |summary: &mut ReadSummary, p: RowProblem| {
        summary.problems += 1;
        problem(p);
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(Counted::new(input, MAX_ROLL_BYTES as u64));
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let p = match e.kind() {
                csv::ErrorKind::Io(_) => input_problem(reader.get_ref()),
                _ => csv_problem(reader.get_mut(), &e, 1),
            };
            report(&mut summary, p);
            return Ok(summary);
        }
    };
    summary.columns = mapping_of(&headers);
    let mut columns: HashMap<String, usize> = HashMap::new();
    let mut ignored = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let key = h.trim().to_ascii_lowercase();
        match key.as_str() {
            "member_id" | "name" | "email" | "weight" | "language" => {
                if columns.insert(key.clone(), i).is_some() {
                    report(
                        &mut summary,
                        RowProblem {
                            row: 1,
                            message: format!("the column {key:?} appears twice"),
                        },
                    );
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
        report(
            &mut summary,
            RowProblem {
                row: 1,
                message: format!(
                    "the header row lacks the {} {}; the first row must name at least member_id, name and email",
                    if missing.len() == 1 { "column" } else { "columns" },
                    missing.join(", ")
                ),
            },
        );
    }
    if summary.problems > 0 {
        return Ok(summary);
    }
    summary.notices = if ignored.is_empty() {
        vec![]
    } else {
        vec![format!(
            "ignored {} {} (only member_id, name, email, weight and language are used)",
            if ignored.len() == 1 { "column" } else { "columns" },
            ignored.join(", ")
        )]
    };
    let (id_col, name_col, email_col) = (columns["member_id"], columns["name"], columns["email"]);
    let weight_col = columns.get("weight").copied();
    let language_col = columns.get("language").copied();

    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut row_guess = 1;
    loop {
        row_guess += 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    // The input itself failed: nothing after this can be read.
                    report(&mut summary, input_problem(reader.get_ref()));
                    break;
                }
                let p = csv_problem(reader.get_mut(), &e, row_guess);
                report(&mut summary, p);
                continue;
            }
        }
        let row = record
            .position()
            .map(|p| reader.get_mut().line_at(p.byte()))
            .unwrap_or(row_guess);
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
        let language = match language_col.map(field) {
            None => None,
            Some(text) if text.is_empty() => None,
            Some(text) => match crate::i18n::Lang::from_code(&text) {
                Some(l) => Some(l),
                None => {
                    row_problems.push(format!(
                        "the language {text:?} is not one Teller writes in; write en or es, or leave it empty"
                    ));
                    None
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
            summary.members += 1;
            member(RollMember {
                row,
                member_id,
                name,
                email,
                weight,
                language,
            })?;
        } else {
            if !member_id.is_empty() {
                seen.entry(member_id).or_insert(row);
            }
            for message in row_problems {
                report(&mut summary, RowProblem { row, message });
            }
        }
    }
    if summary.problems == 0 && summary.members == 0 {
        report(
            &mut summary,
            RowProblem {
                row: 0,
                message: "the roll has a header but no members".into(),
            },
        );
    }
    Ok(summary)
}

/// The input of [`read`], counting bytes (to stop at a limit) and line ends
/// as they go by, so that a record's byte position becomes its line number,
/// counted from 1 as a text editor counts them (CRLF, CR and LF each end one
/// line). A byte-order mark at the start, as spreadsheets often save, is
/// skipped.
///
/// The csv crate's own `Position::line` is not used: after a CRLF or CR line
/// end it names the line before, and after a blank line the blank one
/// (fuzzing finding F1, docs/FUZZING.md), because a record's position is
/// taken before the previous line end and blank lines are skipped. A record
/// begins at its first byte that is not a line end, so its line is 1 + the
/// line ends in every run of line-end bytes that starts at or before its
/// position. Runs are kept only until a record beyond them is met, and the
/// csv reader reads only a buffer ahead, so this holds little.
struct Counted<R> {
    inner: R,
    /// Bytes passed to the csv reader so far (after any byte-order mark).
    offset: u64,
    /// The most bytes to pass on.
    limit: u64,
    /// Whether the input went past `limit`.
    too_large: bool,
    /// Whether the start (and any byte-order mark) has been dealt with.
    started: bool,
    /// Bytes read ahead at the start, to be passed on first.
    head: Vec<u8>,
    /// Completed runs of line-end bytes not yet passed: (start, line ends).
    runs: std::collections::VecDeque<(u64, u64)>,
    /// The run being read: (start, line ends so far, last byte was a CR).
    open: Option<(u64, u64, bool)>,
    /// Line ends in runs already passed.
    passed: u64,
}

impl<R: std::io::Read> Counted<R> {
    fn new(inner: R, limit: u64) -> Self {
        Counted {
            inner,
            offset: 0,
            limit,
            too_large: false,
            started: false,
            head: Vec::new(),
            runs: std::collections::VecDeque::new(),
            open: None,
            passed: 0,
        }
    }

    /// Close the open run: a CR at its end is a line end of its own.
    fn close_run(&mut self) {
        if let Some((start, ends, cr)) = self.open.take() {
            self.runs.push_back((start, ends + u64::from(cr)));
        }
    }

    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let at = self.offset;
            self.offset += 1;
            match (b, self.open.as_mut()) {
                (b'\n', Some((_, ends, cr))) => {
                    // LF ends a line; a CR just before it was part of the same end.
                    *ends += 1;
                    *cr = false;
                }
                (b'\r', Some((_, ends, cr))) => {
                    *ends += u64::from(*cr);
                    *cr = true;
                }
                (b'\n', None) => self.open = Some((at, 1, false)),
                (b'\r', None) => self.open = Some((at, 0, true)),
                (_, Some(_)) => self.close_run(),
                (_, None) => {}
            }
        }
    }

    /// The line on which a record starting at byte `position` begins.
    fn line_at(&mut self, position: u64) -> u64 {
        while let Some(&(start, ends)) = self.runs.front() {
            if start > position {
                break;
            }
            self.passed += ends;
            self.runs.pop_front();
        }
        let open = match self.open {
            Some((start, ends, cr)) if start <= position => ends + u64::from(cr),
            _ => 0,
        };
        self.passed + open + 1
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.started {
            self.started = true;
            let mut head = [0u8; 3];
            let mut got = 0;
            while got < head.len() {
                let n = self.inner.read(&mut head[got..])?;
                if n == 0 {
                    break;
                }
                got += n;
            }
            if &head[..got] != b"\xEF\xBB\xBF" {
                self.head = head[..got].to_vec();
            }
        }
        let n = if !self.head.is_empty() {
            let n = self.head.len().min(buf.len());
            buf[..n].copy_from_slice(&self.head[..n]);
            self.head.drain(..n);
            n
        } else {
            self.inner.read(buf)?
        };
        if self.offset + n as u64 > self.limit {
            self.too_large = true;
            return Err(std::io::Error::other("the roll is too large"));
        }
        if n == 0 {
            self.close_run();
        }
        self.scan(&buf[..n]);
        Ok(n)
    }
}

/// The input failed to read: too large, or cut off.
fn input_problem<R>(input: &Counted<R>) -> RowProblem {
    let message = if input.too_large {
        TOO_LARGE
    } else {
        "the file did not arrive whole; upload it again"
    };
    RowProblem {
        row: 0,
        message: message.to_string(),
    }
}

fn csv_problem<R: std::io::Read>(lines: &mut Counted<R>, e: &csv::Error, row: u64) -> RowProblem {
    let row = e.position().map(|p| lines.line_at(p.byte())).unwrap_or(row);
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

    /// Hands out its bytes `step` at a time, as a network upload arrives.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn reading_in_pieces_finds_the_same_rows_and_problems_as_parsing_at_once() {
        let mut roll = b"\xEF\xBB\xBFmember_id,name,email,weight".to_vec();
        let ends: [&[u8]; 5] = [b"\r\n", b"\n", b"\r", b"\n\n", b"\r\n\r\n"];
        for i in 0..3_000 {
            roll.extend_from_slice(ends[i % ends.len()]);
            let email = if i % 997 == 5 {
                "bad".to_string()
            } else {
                format!("m{i}@example.org")
            };
            roll.extend_from_slice(format!("M{},\"Member\r\n{i}\",{email},{}", i % 2_990, 1 + i % 3).as_bytes());
        }
        let whole = parse(&roll).unwrap_err();
        for step in [1, 2, 3, 7, 4096] {
            let mut rows = Vec::new();
            let mut problems = Vec::new();
            let summary = read(
                Trickle { bytes: &roll, step },
                |m| {
                    rows.push(m.row);
                    Ok::<(), ()>(())
                },
                |p| problems.push(p),
            )
            .unwrap();
            assert_eq!(problems, whole, "step {step}");
            assert_eq!(summary.problems, whole.len() as u64);
            assert_eq!(summary.members, rows.len() as u64);
            let bad_rows: std::collections::BTreeSet<u64> = whole.iter().map(|p| p.row).collect();
            assert_eq!(rows.len() + bad_rows.len(), 3_000);
        }
        let mut good = b"member_id,name,email".to_vec();
        for i in 0..500 {
            good.extend_from_slice(ends[i % ends.len()]);
            good.extend_from_slice(format!("M{i},\"Member, {i}\",m{i}@example.org").as_bytes());
        }
        let good = &good[..];
        let members: Vec<u64> = parse(good).unwrap().members.iter().map(|m| m.row).collect();
        let mut rows = Vec::new();
        read(
            Trickle { bytes: good, step: 1 },
            |m| {
                rows.push(m.row);
                Ok::<(), ()>(())
            },
            |p| panic!("{p}"),
        )
        .unwrap();
        assert_eq!(rows, members);
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
