//! Finding where a record's values begin and end without decoding them,
//! for the parallel reader (`parallel.rs`).
//!
//! The scan tracks only what decides a JSON value's extent: strings (with
//! their escapes) and the nesting of brackets, to a bounded depth. It does
//! not check syntax: every value it delimits is then decoded strictly by
//! serde_json, which refuses whatever is wrong inside, and the bytes
//! between values (white space, `,`, `:`, the brackets of the record and
//! its arrays) are checked by the reader itself. A value that decodes is
//! well-formed JSON, and a well-formed value's extent is exactly what this
//! scan finds, so nothing malformed can pass; anything the scan cannot
//! delimit stops the parallel reading, and the record is read again by the
//! streaming reader, which names the fault.

use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

/// Nesting deeper than this inside one value stops the parallel reading.
/// serde_json's own limit (128 levels, counted from the record's top) then
/// decides, on the streaming path; no value of a real record comes close.
const MAX_DEPTH: usize = 64;

/// What a scan from a position found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan<T> {
    /// Found, ending before the end of the text scanned.
    Found(T),
    /// The text ends first: read more and scan again.
    More,
    /// Not something the parallel reader can take.
    Bad,
}

/// The text cannot be read in parallel: malformed, cut short, unreadable
/// or refused, or the checks stopped. The streaming reader finds out which.
#[derive(Debug)]
pub(super) struct Stop;

/// The first position at or after `at` that is not JSON white space.
pub(super) fn skip_ws(text: &[u8], at: usize) -> usize {
    let rest = text.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(rest.len())
}

/// The end of the value starting at `at` (no white space before it).
pub(crate) fn value_end(text: &[u8], at: usize) -> Scan<usize> {
    match text.get(at) {
        None => Scan::More,
        Some(b'"') => string_end(text, at + 1),
        Some(b'{' | b'[') => container_end(text, at),
        Some(b'}' | b']' | b',' | b':') => Scan::Bad,
        Some(_) => scalar_end(text, at),
    }
}

/// The end of the string whose contents start at `at` (after its `"`).
/// Eight bytes at a time: strings are most of a record (hex digits).
fn string_end(text: &[u8], mut at: usize) -> Scan<usize> {
    loop {
        while let Some(word) = text.get(at..at + 8) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            let word = u64::from_le_bytes(bytes);
            let found = zero_bytes(word ^ QUOTES) | zero_bytes(word ^ BACKSLASHES);
            if found != 0 {
                // The lowest flag marks the first `"` or `\` exactly.
                at += (found.trailing_zeros() / 8) as usize;
                break;
            }
            at += 8;
        }
        match text.get(at) {
            None => return Scan::More,
            Some(b'"') => return Scan::Found(at + 1),
            // The escaped byte cannot end the string; serde_json checks
            // the escape itself.
            Some(b'\\') => at += 2,
            Some(_) => at += 1,
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const QUOTES: u64 = ONES * b'"' as u64;
const BACKSLASHES: u64 = ONES * b'\\' as u64;

/// The high bit of each byte of `word` that is zero is set, and possibly
/// of bytes above a zero one (a borrow carries), never below: the lowest
/// bit set marks the first zero byte.
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & 0x8080_8080_8080_8080
}

/// The end of the object or array starting at `at`.
fn container_end(text: &[u8], mut at: usize) -> Scan<usize> {
    let mut depth = 0usize;
    while let Some(&b) = text.get(at) {
        match b {
            b'"' => match string_end(text, at + 1) {
                Scan::Found(end) => {
                    at = end;
                    continue;
                }
                other => return other,
            },
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Scan::Bad;
                }
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Scan::Found(at + 1);
                }
            }
            _ => {}
        }
        at += 1;
    }
    Scan::More
}

/// The end of the number, `true`, `false` or `null` starting at `at`: the
/// next white space or `,`, `}`, `]`.
fn scalar_end(text: &[u8], at: usize) -> Scan<usize> {
    let rest = text.get(at..).unwrap_or_default();
    match rest
        .iter()
        .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some(len) => Scan::Found(at + len),
        None => Scan::More,
    }
}

/// An array element: where it is, and where reading goes on after the
/// `,` or `]` that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Element {
    pub value: Range<usize>,
    pub next: usize,
    /// The `]` closing the array followed it.
    pub last: bool,
}

/// The array element starting at or after `at` (white space first), with
/// the `,` or `]` after it.
pub(super) fn element(text: &[u8], at: usize) -> Scan<Element> {
    let start = skip_ws(text, at);
    let end = match value_end(text, start) {
        Scan::Found(end) => end,
        Scan::More => return Scan::More,
        Scan::Bad => return Scan::Bad,
    };
    let after = skip_ws(text, end);
    let last = match text.get(after) {
        None => return Scan::More,
        Some(b',') => false,
        Some(b']') => true,
        Some(_) => return Scan::Bad,
    };
    Scan::Found(Element {
        value: start..end,
        next: after + 1,
        last,
    })
}

/// The record's text, read in chunks: each chunk is shared, unchanged,
/// with the parsers of the batches in it, and what the scan had not
/// finished when a chunk ran out starts the next one.
pub(super) struct Chunks<R> {
    input: R,
    chunk: Arc<Vec<u8>>,
    /// Where scanning is in `chunk`.
    pub at: usize,
    /// Bytes read at a time, at least.
    size: usize,
    /// The input has ended.
    ended: bool,
}

impl<R: Read> Chunks<R> {
    /// Read `input` in chunks of `size` bytes.
    pub fn new(input: R, size: usize) -> Self {
        Chunks {
            input,
            chunk: Arc::new(Vec::new()),
            at: 0,
            size: size.max(1),
            ended: false,
        }
    }

    /// The chunk being scanned.
    pub fn chunk(&self) -> &Arc<Vec<u8>> {
        &self.chunk
    }

    /// Scan from the current position, reading more until `scan` finds
    /// what it looks for. Positions found are in the current chunk.
    pub fn scan<T>(&mut self, scan: impl Fn(&[u8], usize) -> Scan<T>) -> Result<T, Stop> {
        loop {
            match scan(&self.chunk, self.at) {
                Scan::Found(found) => return Ok(found),
                Scan::Bad => return Err(Stop),
                Scan::More => self.read_more(None)?,
            }
        }
    }

    /// A new chunk: the rest of this one, then at least `size` bytes more
    /// (as much again as the rest, if that is more, so that a long value
    /// is read in few steps). Its buffer is `spare` if given (one the
    /// parsers are done with), so memory is reused rather than allocated
    /// again. `Stop` if the input has ended or fails.
    pub fn read_more(&mut self, spare: Option<Vec<u8>>) -> Result<(), Stop> {
        if self.ended {
            return Err(Stop);
        }
        let rest = self.chunk.get(self.at..).unwrap_or_default();
        let want = self.size.max(rest.len());
        let mut next = spare.unwrap_or_default();
        next.clear();
        next.reserve(rest.len() + want);
        next.extend_from_slice(rest);
        let read = (&mut self.input).take(want as u64).read_to_end(&mut next);
        match read {
            Ok(n) => self.ended = n < want,
            Err(_) => return Err(Stop),
        }
        self.chunk = Arc::new(next);
        self.at = 0;
        Ok(())
    }

    /// The next byte that is not white space, consumed.
    pub fn byte(&mut self) -> Result<u8, Stop> {
        let (at, b) = self.scan(|text, at| {
            let at = skip_ws(text, at);
            text.get(at).map_or(Scan::More, |&b| Scan::Found((at, b)))
        })?;
        self.at = at + 1;
        Ok(b)
    }

    /// The next byte that is not white space, left to be read.
    pub fn peek(&mut self) -> Result<u8, Stop> {
        let (at, b) = self.scan(|text, at| {
            let at = skip_ws(text, at);
            text.get(at).map_or(Scan::More, |&b| Scan::Found((at, b)))
        })?;
        self.at = at;
        Ok(b)
    }

    /// The next value (white space first): its extent in the current chunk.
    pub fn value(&mut self) -> Result<Range<usize>, Stop> {
        let value = self.scan(|text, at| {
            let start = skip_ws(text, at);
            match value_end(text, start) {
                Scan::Found(end) => Scan::Found(start..end),
                Scan::More => Scan::More,
                Scan::Bad => Scan::Bad,
            }
        })?;
        self.at = value.end;
        Ok(value)
    }

    /// Only white space is left.
    pub fn end(&mut self) -> Result<(), Stop> {
        loop {
            let at = skip_ws(&self.chunk, self.at);
            if at < self.chunk.len() {
                return Err(Stop);
            }
            self.at = at;
            if self.ended {
                return Ok(());
            }
            self.read_more(None)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Scan<usize> {
        value_end(text.as_bytes(), 0)
    }

    #[test]
    fn values_end_where_json_says() {
        assert_eq!(found(r#""ab\"c\\" x"#), Scan::Found(9));
        assert_eq!(found(r#"{"a":["}",{"b":"]"}],"c":1} x"#), Scan::Found(27));
        assert_eq!(found("123,"), Scan::Found(3));
        assert_eq!(found("null]"), Scan::Found(4));
        assert_eq!(found("true "), Scan::Found(4));
        // A long string, past the eight-byte steps, with escapes anywhere.
        let long = format!("\"{}\\\"{}\"!", "a".repeat(37), "b".repeat(13));
        assert_eq!(found(&long), Scan::Found(long.len() - 1));
    }

    #[test]
    fn a_value_cut_short_asks_for_more() {
        for text in [r#""abc"#, r#""abc\"#, r#"{"a":[1,2]"#, "123", "", "[[]"] {
            assert_eq!(found(text), Scan::More, "{text}");
        }
    }

    #[test]
    fn what_cannot_start_a_value_or_nests_too_deep_is_refused() {
        for text in ["]", "}", ",", ":"] {
            assert_eq!(found(text), Scan::Bad, "{text}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(found(&deep), Scan::Bad);
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(found(&fine), Scan::Found(fine.len()));
    }

    #[test]
    fn elements_are_followed_by_a_comma_or_the_closing_bracket() {
        let text = br#" {"a":1} , [2] ]"#;
        let first = element(text, 0);
        assert_eq!(
            first,
            Scan::Found(Element {
                value: 1..8,
                next: 10,
                last: false
            })
        );
        assert_eq!(
            element(text, 10),
            Scan::Found(Element {
                value: 11..14,
                next: 16,
                last: true
            })
        );
        assert_eq!(element(b"1 2]", 0), Scan::Bad);
        assert_eq!(element(b"1 ", 0), Scan::More);
        assert_eq!(element(b" ]", 0), Scan::Bad);
    }

    #[test]
    fn chunks_carry_an_unfinished_value_into_the_next() {
        let text = br#"  {"key": "a value longer than a chunk"} , 7 "#;
        for size in 1..8 {
            let mut chunks = Chunks::new(&text[..], size);
            let value = chunks.value().unwrap();
            assert_eq!(&chunks.chunk()[value], br#"{"key": "a value longer than a chunk"}"#);
            assert_eq!(chunks.byte().unwrap(), b',');
            let value = chunks.value().unwrap();
            assert_eq!(&chunks.chunk()[value], b"7");
            chunks.end().unwrap();
        }
        let mut chunks = Chunks::new(&b"1 x"[..], 2);
        chunks.value().unwrap();
        assert!(chunks.end().is_err());
        let mut cut = Chunks::new(&br#"{"a""#[..], 2);
        assert!(cut.value().is_err());
    }
}
