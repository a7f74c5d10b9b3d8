//! The encrypted backup file: a header line, then the database in
//! authenticated chunks.
//!
//! ```text
//! {"format":"teller-backup/1",…,"salt":"<64 hex>"}\n      header, ≤ 4 KiB
//! [u32 big-endian length][AES-256-GCM ciphertext + tag]    chunk 0
//! [u32 big-endian length][AES-256-GCM ciphertext + tag]    chunk 1 …
//! ```
//!
//! - The file key is HKDF-SHA256 (salt: the header's random `salt`; input:
//!   the backup key; info `teller/backup/v1/aes-256-gcm`), so no two files
//!   share a key and a counter nonce is safe.
//! - Chunk `i` (plaintext at most `chunk_size` bytes) is sealed with nonce
//!   `00 00 00 ‖ i as u64 big-endian ‖ last`, where `last` is 1 for the final
//!   chunk and 0 otherwise, and the whole header line as associated data.
//!   A file cut short (no final chunk), chunks reordered, dropped or added,
//!   anything after the final chunk, or a changed header all fail.
//! - Reading holds one chunk in memory.

use std::io::{self, Read, Write};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::hkdf;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::secrets::BackupKey;

/// The `format` of a backup file's header.
pub const BACKUP_FORMAT: &str = "teller-backup/1";
/// Plaintext bytes per chunk written.
pub const CHUNK_SIZE: usize = 1 << 20;
/// The largest chunk a reader accepts (a header may not ask for more).
const MAX_CHUNK: usize = 16 << 20;
/// The longest header line a reader accepts.
const MAX_HEADER: usize = 4096;
const TAG: usize = 16;

/// What a backup file says about itself (authenticated with every chunk).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always [`BACKUP_FORMAT`].
    pub format: String,
    /// `sqlite` (a database file) or `postgres` (a `pg_dump` custom-format archive).
    pub backend: String,
    /// When the backup was made (RFC 3339, UTC).
    pub created_at: String,
    /// The Teller version that made it.
    pub teller_version: String,
    /// The newest schema migration the database had.
    pub schema: String,
    /// Which key encrypts it: `master-secret` or `backup-key`.
    pub key: String,
    /// Names the key without revealing it (16 hex digits).
    pub key_id: String,
    /// Random salt for the file key (64 hex digits).
    pub salt: String,
    /// Plaintext bytes per chunk.
    pub chunk_size: usize,
}

/// Why a backup file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BackupFileError {
    /// Reading failed.
    #[error("cannot read the backup: {0}")]
    Io(#[from] io::Error),
    /// Not a Teller backup, or a version this binary does not read.
    #[error("not a Teller backup file: {0}")]
    NotABackup(String),
    /// Encrypted with another key than the one given.
    #[error("{0}")]
    WrongKey(String),
    /// A chunk failed authentication: altered, or cut short.
    #[error("the backup is damaged or was altered ({0}); nothing was restored from it")]
    Damaged(String),
}

fn file_key(key: &BackupKey, salt: &[u8]) -> LessSafeKey {
    struct Len;
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            32
        }
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(key.material());
    let mut bytes = Zeroizing::new([0u8; 32]);
    // Expanding 32 bytes from SHA-256 cannot fail.
    #[allow(clippy::expect_used)]
    prk.expand(&[b"teller/backup/v1/aes-256-gcm"], Len)
        .and_then(|okm| okm.fill(&mut bytes[..]))
        .expect("HKDF-SHA256 yields 32 bytes");
    #[allow(clippy::expect_used)]
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &bytes[..]).expect("a 32-byte AES-256 key"))
}

fn nonce(index: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::assume_unique_for_key(n)
}

/// Writes a backup: the header, then the plaintext written to it, sealed
/// chunk by chunk. Call [`Sealer::finish`] to write the final chunk.
pub struct Sealer<W: Write> {
    out: W,
    key: LessSafeKey,
    header_line: Vec<u8>,
    buf: Zeroizing<Vec<u8>>,
    index: u64,
    /// Plaintext bytes taken.
    pub plaintext_bytes: u64,
}

impl<W: Write> Sealer<W> {
    /// Start a backup file on `out`; the header's `format`, `key`,
    /// `key_id`, `salt` and `chunk_size` are filled in here.
    pub fn new(mut out: W, key: &BackupKey, header: &mut Header) -> io::Result<Self> {
        let salt: [u8; 32] = crate::secrets::random_bytes().map_err(|e| io::Error::other(e.to_string()))?;
        header.format = BACKUP_FORMAT.to_string();
        header.key = key.kind().to_string();
        header.key_id = key.id();
        header.salt = hex::encode(salt);
        header.chunk_size = CHUNK_SIZE;
        let mut header_line = serde_json::to_vec(&*header).map_err(io::Error::other)?;
        header_line.push(b'\n');
        out.write_all(&header_line)?;
        Ok(Sealer {
            out,
            key: file_key(key, &salt),
            header_line,
            buf: Zeroizing::new(Vec::with_capacity(CHUNK_SIZE + TAG)),
            index: 0,
            plaintext_bytes: 0,
        })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        self.key
            .seal_in_place_append_tag(nonce(self.index, last), Aad::from(&self.header_line), &mut *self.buf)
            .map_err(|_| io::Error::other("encryption failed"))?;
        let len = u32::try_from(self.buf.len()).map_err(io::Error::other)?;
        self.out.write_all(&len.to_be_bytes())?;
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.index += 1;
        Ok(())
    }

    /// Seal what is left as the final chunk and return the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_chunk(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK_SIZE - self.buf.len();
        let take = room.min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        self.plaintext_bytes += take as u64;
        if self.buf.len() == CHUNK_SIZE {
            self.seal_chunk(false)?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Read a backup's header line (at most 4 KiB).
pub fn read_header(input: &mut impl Read) -> Result<(Header, Vec<u8>), BackupFileError> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if input.read(&mut byte)? == 0 {
            return Err(BackupFileError::NotABackup("it ends before its header does".into()));
        }
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
        if line.len() > MAX_HEADER {
            return Err(BackupFileError::NotABackup("no header line in its first 4 KiB".into()));
        }
    }
    let value: serde_json::Value = serde_json::from_slice(&line)
        .map_err(|_| BackupFileError::NotABackup("its first line is not a backup header".into()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(BACKUP_FORMAT) => {}
        Some(other) if other.starts_with("teller-backup/") => {
            return Err(BackupFileError::NotABackup(format!(
                "it is {other}, made by a newer Teller; restore it with that version"
            )))
        }
        _ => {
            return Err(BackupFileError::NotABackup(
                "its header has no teller-backup format".into(),
            ))
        }
    }
    let header: Header =
        serde_json::from_value(value).map_err(|e| BackupFileError::NotABackup(format!("its header: {e}")))?;
    if header.chunk_size == 0 || header.chunk_size > MAX_CHUNK {
        return Err(BackupFileError::NotABackup(format!(
            "its chunk size {} is out of range",
            header.chunk_size
        )));
    }
    Ok((header, line))
}

/// Reads a backup's plaintext, authenticating every chunk; fails at the
/// first chunk that does not authenticate, and at the end if the final
/// chunk is missing or anything follows it.
pub struct Opener<R: Read> {
    input: R,
    key: LessSafeKey,
    header_line: Vec<u8>,
    chunk_size: usize,
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
    index: u64,
    done: bool,
}

impl<R: Read> Opener<R> {
    /// Open the chunks that follow `header` (read by [`read_header`]) with
    /// `key`, which must be the one the header names.
    pub fn new(input: R, key: &BackupKey, header: &Header, header_line: Vec<u8>) -> Result<Self, BackupFileError> {
        if header.key != key.kind() || header.key_id != key.id() {
            return Err(BackupFileError::WrongKey(match (header.key.as_str(), key.kind()) {
                ("backup-key", "master-secret") => {
                    "this backup was encrypted with a backup key file: give it with --backup-key-file".to_string()
                }
                ("master-secret", "backup-key") => "this backup was encrypted with the master secret, not a backup \
                                                    key: leave out --backup-key-file and give the master secret"
                    .to_string(),
                (kind, _) => format!(
                    "this backup was encrypted with a different {} (key id {}; the one given has key id {})",
                    kind.replace('-', " "),
                    header.key_id,
                    key.id()
                ),
            }));
        }
        let salt = hex::decode(&header.salt)
            .ok()
            .filter(|s| s.len() == 32)
            .ok_or_else(|| BackupFileError::NotABackup("its salt is not 64 hex digits".into()))?;
        Ok(Opener {
            input,
            key: file_key(key, &salt),
            header_line,
            chunk_size: header.chunk_size,
            buf: Zeroizing::new(Vec::new()),
            pos: 0,
            index: 0,
            done: false,
        })
    }

    /// Read and open the next chunk into `buf`; false at the end.
    fn next_chunk(&mut self) -> Result<bool, BackupFileError> {
        if self.done {
            let mut extra = [0u8; 1];
            if self.input.read(&mut extra)? != 0 {
                return Err(BackupFileError::Damaged("data follows the final chunk".into()));
            }
            return Ok(false);
        }
        let mut len = [0u8; 4];
        if let Err(e) = self.input.read_exact(&mut len) {
            return Err(match e.kind() {
                io::ErrorKind::UnexpectedEof => BackupFileError::Damaged(format!(
                    "it ends after chunk {} without its final chunk: the file was cut short",
                    self.index
                )),
                _ => e.into(),
            });
        }
        let len = u32::from_be_bytes(len) as usize;
        if !(TAG..=self.chunk_size + TAG).contains(&len) {
            return Err(BackupFileError::Damaged(format!(
                "chunk {} has length {len}",
                self.index
            )));
        }
        self.buf.resize(len, 0);
        self.input.read_exact(&mut self.buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => BackupFileError::Damaged(format!("chunk {} is cut short", self.index)),
            _ => e.into(),
        })?;
        // A chunk authenticates under exactly one of the two nonces.
        let mut copy = Zeroizing::new(self.buf.to_vec());
        let opened = self
            .key
            .open_in_place(nonce(self.index, false), Aad::from(&self.header_line), &mut self.buf)
            .map(|p| p.len());
        let plain_len = match opened {
            Ok(n) => n,
            Err(_) => {
                let n = self
                    .key
                    .open_in_place(nonce(self.index, true), Aad::from(&self.header_line), &mut copy)
                    .map_err(|_| BackupFileError::Damaged(format!("chunk {} does not authenticate", self.index)))?
                    .len();
                self.done = true;
                std::mem::swap(&mut self.buf, &mut copy);
                n
            }
        };
        self.buf.truncate(plain_len);
        self.pos = 0;
        self.index += 1;
        Ok(true)
    }
}

impl<R: Read> Read for Opener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            match self.next_chunk() {
                Ok(true) => {}
                Ok(false) => return Ok(0),
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The backup error inside an I/O error from [`Opener`], if that is what it is.
pub fn backup_error(e: io::Error) -> BackupFileError {
    if e.kind() == io::ErrorKind::InvalidData {
        if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<BackupFileError>()) {
            return match inner {
                BackupFileError::Damaged(m) => BackupFileError::Damaged(m.clone()),
                BackupFileError::NotABackup(m) => BackupFileError::NotABackup(m.clone()),
                BackupFileError::WrongKey(m) => BackupFileError::WrongKey(m.clone()),
                BackupFileError::Io(e) => BackupFileError::Damaged(e.to_string()),
            };
        }
    }
    BackupFileError::Io(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8, kind: &str) -> BackupKey {
        BackupKey::from_material(kind, [byte; 32])
    }

    fn header() -> Header {
        Header {
            format: String::new(),
            backend: "sqlite".into(),
            created_at: "2026-11-28T00:00:00Z".into(),
            teller_version: "test".into(),
            schema: "1".into(),
            key: String::new(),
            key_id: String::new(),
            salt: String::new(),
            chunk_size: 0,
        }
    }

    fn seal(plain: &[u8], k: &BackupKey) -> Vec<u8> {
        let mut s = Sealer::new(Vec::new(), k, &mut header()).unwrap();
        s.write_all(plain).unwrap();
        s.finish().unwrap()
    }

    fn open(file: &[u8], k: &BackupKey) -> Result<Vec<u8>, BackupFileError> {
        let mut input = file;
        let (h, line) = read_header(&mut input)?;
        let mut o = Opener::new(input, k, &h, line)?;
        let mut out = Vec::new();
        o.read_to_end(&mut out).map_err(backup_error)?;
        Ok(out)
    }

    #[test]
    fn round_trips_across_chunks() {
        let k = key(7, "backup-key");
        for len in [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 5] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            assert_eq!(open(&seal(&plain, &k), &k).unwrap(), plain, "length {len}");
        }
    }

    #[test]
    fn any_change_cut_or_addition_fails() {
        let k = key(7, "backup-key");
        let plain: Vec<u8> = (0..CHUNK_SIZE * 2 + 10).map(|i| (i % 13) as u8).collect();
        let file = seal(&plain, &k);
        let header_len = file.iter().position(|&b| b == b'\n').unwrap() + 1;

        // A flipped bit anywhere after the header.
        for at in [header_len + 5, header_len + CHUNK_SIZE + 40, file.len() - 1] {
            let mut bad = file.clone();
            bad[at] ^= 1;
            assert!(open(&bad, &k).is_err(), "flip at {at}");
        }
        // The header changed (a different creation time).
        let bad = String::from_utf8_lossy(&file[..header_len]).replace("2026-11-28", "2026-11-29");
        let mut changed = bad.into_bytes();
        changed.extend_from_slice(&file[header_len..]);
        assert!(matches!(open(&changed, &k), Err(BackupFileError::Damaged(_))));
        // Cut after the first chunk: no final chunk.
        let first = header_len + 4 + CHUNK_SIZE + TAG;
        match open(&file[..first], &k) {
            Err(BackupFileError::Damaged(m)) => assert!(m.contains("cut short"), "{m}"),
            other => panic!("a cut file must fail: {other:?}"),
        }
        // Bytes after the final chunk.
        let mut longer = file.clone();
        longer.push(0);
        assert!(matches!(open(&longer, &k), Err(BackupFileError::Damaged(_))));
        // Chunks swapped.
        let mut swapped = file[..header_len].to_vec();
        let second = first + 4 + CHUNK_SIZE + TAG;
        swapped.extend_from_slice(&file[first..second]);
        swapped.extend_from_slice(&file[header_len..first]);
        swapped.extend_from_slice(&file[second..]);
        assert!(open(&swapped, &k).is_err());
    }

    #[test]
    fn the_wrong_key_is_named() {
        let file = seal(b"roll", &key(7, "backup-key"));
        match open(&file, &key(8, "backup-key")) {
            Err(BackupFileError::WrongKey(m)) => assert!(m.contains("different backup key"), "{m}"),
            other => panic!("{other:?}"),
        }
        match open(&file, &key(7, "master-secret")) {
            Err(BackupFileError::WrongKey(m)) => assert!(m.contains("--backup-key-file"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            open(b"SQLite format 3\0", &key(7, "backup-key")),
            Err(BackupFileError::NotABackup(_))
        ));
    }
}
