//! Reading the decryption request (FORMAT.md §16.12,
//! `teller-decryption-request/1`) in bounded memory: about 14 KB a
//! ballot, 1.4 GB for 100,000, so it is never held whole.
//!
//! The request is canonical JSON (FORMAT.md §2), its members in the order
//! `aggregate, ballots, definition, election, format`, and is read in two
//! passes over the file. The first reads every member but the ballots,
//! which it only counts: checking a ballot needs the definition and the
//! election fingerprint, which come after them. The second reads the
//! ballots one at a time and hands them, a batch at a time, to a worker on
//! each core ([`for_each_ballot`]).
//!
//! What delimits the values is a scan that tracks only strings (with their
//! escapes) and the nesting of brackets, as the record verifier's parallel
//! reader does (`verify/split.rs`): every value it delimits is then decoded
//! strictly by serde_json (FORMAT.md §1), which refuses whatever is wrong
//! inside, and the bytes between values (white space, `,`, `:`, brackets)
//! are checked here. So nothing malformed passes, and a file cut short is
//! refused: its closing `}` and the members after the ballots are missing.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use super::cli::REQUEST_FORMAT;
use super::decrypt::Aggregate;
use crate::canonical;
use crate::definition::Definition;
use crate::verify::split::{self, Scan};

/// The largest member other than `ballots`, and the largest ballot, read:
/// far above a real one (a ballot of the example election is 14 KB, a
/// definition a few KB), so a damaged file cannot exhaust memory.
const MAX_VALUE: usize = 64 * 1024 * 1024;

/// Bytes read from the file at a time.
const READ: usize = 1024 * 1024;

/// Ballots handed to a worker at a time: their proofs are checked in one
/// multiscalar multiplication (§15.6).
pub const BALLOTS_PER_JOB: usize = 64;

/// Everything in a request but its ballots, and how many ballots it lists.
#[derive(Debug)]
pub struct RequestHead {
    /// The election.
    pub election: String,
    /// Its definition (FORMAT.md §3).
    pub definition: Definition,
    /// The encrypted totals to decrypt (§16.6).
    pub aggregate: Aggregate,
    /// How many ballots it lists.
    pub ballots: u64,
    /// Where the `[` of the ballots array is in the file.
    ballots_at: u64,
}

#[derive(serde::Deserialize)]
struct ElectionId(#[serde(deserialize_with = "canonical::election_id")] String);

/// Read a request's members other than its ballots, counting these; the
/// file must be a whole request (its end is read too).
pub fn read_request_head(path: &Path) -> Result<RequestHead, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open the decryption request {}: {e}", path.display()))?;
    let mut text = Text::new(file);
    let bad = |e: String| format!("{} is not a valid decryption request: {e}", path.display());
    text.expect(b'{').map_err(bad)?;
    let mut aggregate = None;
    let mut counted = None;
    let mut definition = None;
    let mut election = None;
    let mut format = None;
    // FORMAT.md §2: members in canonical order, each once.
    for (n, name) in ["aggregate", "ballots", "definition", "election", "format"]
        .into_iter()
        .enumerate()
    {
        if n > 0 {
            text.expect(b',').map_err(bad)?;
        }
        let key = text.value().map_err(bad)?;
        let key: String = strict(text.slice(key), "a member name").map_err(bad)?;
        if key != name {
            return Err(bad(format!(
                "expected the member {name:?} here, found {key:?} (a request's members are aggregate, ballots, definition, election, format, in that order)"
            )));
        }
        text.expect(b':').map_err(bad)?;
        if name == "ballots" {
            let at = text.position();
            let mut count = 0u64;
            text.array(|_| {
                count += 1;
                Ok(())
            })
            .map_err(bad)?;
            counted = Some((count, at));
            continue;
        }
        let value = text.value().map_err(bad)?;
        let bytes = text.slice(value);
        match name {
            "aggregate" => aggregate = Some(strict::<Aggregate>(bytes, "aggregate").map_err(bad)?),
            "definition" => definition = Some(strict::<Definition>(bytes, "definition").map_err(bad)?),
            "election" => election = Some(strict::<ElectionId>(bytes, "election").map_err(bad)?.0),
            _ => format = Some(strict::<String>(bytes, "format").map_err(bad)?),
        }
    }
    text.expect(b'}').map_err(bad)?;
    text.end().map_err(bad)?;
    if format.as_deref() != Some(REQUEST_FORMAT) {
        return Err(bad(format!("its format is {format:?}, not {REQUEST_FORMAT:?}")));
    }
    let (ballots, ballots_at) = counted.ok_or_else(|| bad("no ballots".into()))?;
    Ok(RequestHead {
        election: election.ok_or_else(|| bad("no election".into()))?,
        definition: definition.ok_or_else(|| bad("no definition".into()))?,
        aggregate: aggregate.ok_or_else(|| bad("no aggregate".into()))?,
        ballots,
        ballots_at,
    })
}

/// One ballot of the request: its position in the list (from 0) and its
/// canonical JSON, to decode and check.
pub struct RawBallot<'a> {
    /// Its position in the request's list.
    pub index: u64,
    /// Its text.
    pub bytes: &'a [u8],
}

/// Call `work` on every run of consecutive ballots (up to
/// [`BALLOTS_PER_JOB`], in order) of the request `path` (whose head is
/// `head`), on `threads` worker threads, each with its own state made by
/// `start`; the states are returned, in no particular order, once every
/// ballot is done. `work` names a failing ballot by its index; the first
/// error a worker meets stops the reading, and the error of the
/// lowest-numbered ballot that failed is returned. The main thread only
/// delimits the ballots: decoding, the main cost, is the workers'.
pub fn for_each_ballot<S: Send>(
    path: &Path,
    head: &RequestHead,
    threads: usize,
    start: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &[RawBallot<'_>]) -> Result<(), (u64, String)> + Sync,
) -> Result<Vec<S>, String> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Mutex};

    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    file.seek(SeekFrom::Start(head.ballots_at))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut text = Text::new(file);
    let threads = threads.max(1);
    let (send, receive) = mpsc::sync_channel::<(u64, Vec<u8>, Vec<Range<usize>>)>(2 * threads);
    let receive = Mutex::new(receive);
    let stop = AtomicBool::new(false);
    let failures: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    let (states, read) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (receive, stop, failures, start, work) = (&receive, &stop, &failures, &start, &work);
                scope.spawn(move || {
                    let mut state = start();
                    loop {
                        // The lock is held only to take the next batch.
                        let next = receive.lock().map(|r| r.recv());
                        let Ok(Ok((first, bytes, ranges))) = next else { break };
                        if stop.load(Ordering::Relaxed) {
                            continue;
                        }
                        let ballots: Vec<RawBallot<'_>> = ranges
                            .into_iter()
                            .enumerate()
                            .map(|(k, range)| RawBallot {
                                index: first + k as u64,
                                bytes: &bytes[range],
                            })
                            .collect();
                        if let Err(failure) = work(&mut state, &ballots) {
                            stop.store(true, Ordering::Relaxed);
                            if let Ok(mut f) = failures.lock() {
                                f.push(failure);
                            }
                        }
                    }
                    state
                })
            })
            .collect();
        let mut index = 0u64;
        let mut batch: (u64, Vec<u8>, Vec<Range<usize>>) = (0, Vec::new(), Vec::new());
        let read = text.array(|value| {
            if stop.load(Ordering::Relaxed) {
                return Err("stopped".into());
            }
            let at = batch.1.len();
            batch.1.extend_from_slice(value);
            batch.2.push(at..batch.1.len());
            index += 1;
            if batch.2.len() == BALLOTS_PER_JOB {
                let full = std::mem::replace(&mut batch, (index, Vec::new(), Vec::new()));
                send.send(full).map_err(|_| "a worker stopped".to_string())?;
            }
            Ok(())
        });
        if read.is_ok() && !batch.2.is_empty() {
            let _ = send.send(batch);
        }
        drop(send);
        let states: Vec<S> = workers.into_iter().filter_map(|w| w.join().ok()).collect();
        (states, read.map(|()| index))
    });
    let mut failures = failures.into_inner().unwrap_or_default();
    failures.sort_by_key(|(index, _)| *index);
    if let Some((_, e)) = failures.into_iter().next() {
        return Err(e);
    }
    let read = read.map_err(|e| format!("{} is not a valid decryption request: {e}", path.display()))?;
    if read != head.ballots {
        return Err(format!(
            "{} changed while it was read: it listed {} ballots, and now {read}",
            path.display(),
            head.ballots
        ));
    }
    if states.len() != threads {
        return Err("a worker checking ballots failed".into());
    }
    Ok(states)
}

/// Decode `bytes` strictly (FORMAT.md §1) as a `what`.
pub fn strict<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    crate::verify::read_strict(bytes, what).map_err(|e| e.to_string())
}

/// The file's text, read a megabyte at a time; `buf[start..]` is what is
/// not consumed yet, `consumed` how many bytes of the file precede it.
struct Text<R> {
    input: R,
    buf: Vec<u8>,
    start: usize,
    consumed: u64,
    ended: bool,
}

impl<R: Read> Text<R> {
    fn new(input: R) -> Self {
        Text {
            input,
            buf: Vec::with_capacity(READ),
            start: 0,
            consumed: 0,
            ended: false,
        }
    }

    /// Where reading is, in the file (relative to where it started).
    fn position(&self) -> u64 {
        self.consumed
    }

    /// Read more of the file, keeping what is not consumed; false at its end.
    fn more(&mut self) -> Result<bool, String> {
        if self.ended {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let have = self.buf.len();
        self.buf.resize(have + READ, 0);
        let n = loop {
            match self.input.read(&mut self.buf[have..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("cannot read it: {e}")),
            }
        };
        self.buf.truncate(have + n);
        self.ended = n == 0;
        Ok(n > 0)
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.consumed += n as u64;
    }

    /// The next byte that is not white space, not consumed.
    fn peek(&mut self) -> Result<Option<u8>, String> {
        loop {
            let rest = &self.buf[self.start..];
            match rest.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
                Some(k) => {
                    self.consume(k);
                    return Ok(Some(self.buf[self.start]));
                }
                None => {
                    let n = rest.len();
                    self.consume(n);
                    if !self.more()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        match self.peek()? {
            Some(b) if b == byte => {
                self.consume(1);
                Ok(())
            }
            Some(b) => Err(format!(
                "expected {:?} at byte {}, found {:?}",
                byte as char, self.consumed, b as char
            )),
            None => Err(format!(
                "it ends at byte {}, where {:?} was expected",
                self.consumed, byte as char
            )),
        }
    }

    /// Nothing but white space is left.
    fn end(&mut self) -> Result<(), String> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(format!("something follows the request, at byte {}", self.consumed)),
        }
    }

    /// The next value (after white space), consumed; its range in `buf`,
    /// valid until the next read.
    fn value(&mut self) -> Result<Range<usize>, String> {
        if self.peek()?.is_none() {
            return Err(format!("it ends at byte {}, where a value was expected", self.consumed));
        }
        loop {
            match value_end(&self.buf[self.start..]) {
                Scan::Found(len) => {
                    let range = self.start..self.start + len;
                    self.consume(len);
                    return Ok(range);
                }
                Scan::Bad => return Err(format!("no JSON value at byte {}", self.consumed)),
                Scan::More => {
                    if self.buf.len() - self.start > MAX_VALUE {
                        return Err(format!(
                            "the value at byte {} is longer than {MAX_VALUE} bytes",
                            self.consumed
                        ));
                    }
                    if !self.more()? {
                        return Err(format!(
                            "it is cut short: the value at byte {} does not end",
                            self.consumed
                        ));
                    }
                }
            }
        }
    }

    fn slice(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// An array, each element's text given to `each` in turn.
    fn array(&mut self, mut each: impl FnMut(&[u8]) -> Result<(), String>) -> Result<(), String> {
        self.expect(b'[')?;
        if self.peek()? == Some(b']') {
            self.consume(1);
            return Ok(());
        }
        loop {
            let value = self.value()?;
            each(&self.buf[value])?;
            match self.peek()? {
                Some(b',') => self.consume(1),
                Some(b']') => {
                    self.consume(1);
                    return Ok(());
                }
                Some(b) => {
                    return Err(format!(
                        "expected ',' or ']' at byte {}, found {:?}",
                        self.consumed, b as char
                    ))
                }
                None => return Err(format!("it is cut short at byte {}, inside the ballots", self.consumed)),
            }
        }
    }
}

/// The length of the value at the start of `text` (no white space before
/// it), found by the verifier's scanner (`verify::split`); serde_json
/// decodes it afterwards and refuses what is malformed.
fn value_end(text: &[u8]) -> Scan<usize> {
    split::value_end(text, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &[u8]) -> Vec<String> {
        let mut t = Text::new(text);
        let mut out = Vec::new();
        t.array(|v| {
            out.push(String::from_utf8(v.to_vec()).unwrap());
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn the_scan_delimits_strings_with_escapes_and_nested_values() {
        assert_eq!(
            values(br#"[ {"a":"x\"]}","b":[1,{"c":[]}]} , "q\\" ,3,null]"#),
            [r#"{"a":"x\"]}","b":[1,{"c":[]}]}"#, r#""q\\""#, "3", "null"]
        );
        assert!(values(b"[]").is_empty());
    }

    #[test]
    fn a_cut_array_is_refused() {
        let mut t = Text::new(&br#"[{"a":1},{"b":"#[..]);
        let err = t.array(|_| Ok(())).unwrap_err();
        assert!(err.contains("cut short"), "{err}");
        let mut t = Text::new(&br#"[{"a":1}"#[..]);
        let err = t.array(|_| Ok(())).unwrap_err();
        assert!(err.contains("cut short"), "{err}");
    }

    /// FORMAT.md §16.12: a request whose members are not in canonical order
    /// is refused before anything else is read.
    #[test]
    fn a_request_out_of_canonical_order_is_refused() {
        let dir = std::env::temp_dir().join(format!("teller-request-order-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("request.json");
        std::fs::write(
            &path,
            br#"{"ballots":[],"aggregate":{"targets":[],"weight_decimals":0}}"#,
        )
        .unwrap();
        let err = read_request_head(&path).map(|_| ()).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(err.contains("in that order"), "{err}");
        assert!(err.contains("\"aggregate\""), "{err}");
    }
}
