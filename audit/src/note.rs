//! Tree checkpoints as C2SP signed notes (FORMAT.md §6a): the log's size
//! and Merkle root (§5a), signed by the election key in the format that
//! transparency-log tooling (`c2sp.org/tlog-checkpoint`,
//! `c2sp.org/signed-note`) reads.
//!
//! ```text
//! vote.example.org/teller/2a6f16d2-c738-4ef1-8402-71c1bfa25a25
//! 7
//! 4rqdOeAWVSCi4b98d/2ieXlYjN9m/EWIaxw82eb2qrs=
//!
//! — vote.example.org/teller/2a6f16d2-c738-4ef1-8402-71c1bfa25a25 <base64(key id ‖ signature)>
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::crypto::{Digest, PublicKey, Signature};

/// The Ed25519 signature type of signed notes.
const ED25519: u8 = 0x01;
/// The prefix of a signature line: an em dash and a space.
pub(crate) const DASH: &str = "\u{2014} ";
/// The most signature lines read (as Go's `note.Open`).
const MAX_SIGNATURES: usize = 100;
/// The longest note read.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// Why a note is not a good checkpoint of this election.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Not a signed note: the wrong shape, a control character, a bad line.
    #[error("§6a: not a signed note: {0}")]
    Malformed(String),
    /// The text is not a checkpoint: origin, size and root lines.
    #[error("§6a: not a checkpoint: {0}")]
    NotACheckpoint(String),
    /// The origin does not name this election.
    #[error("§6a: expected an origin ending in /teller/{election}, found {found:?}")]
    WrongOrigin {
        /// The election expected.
        election: String,
        /// The origin found.
        found: String,
    },
    /// No signature line by the election key, or one that does not verify.
    #[error("§6a: expected a valid signature of the election key {key} named {name:?}, found {found}")]
    Unsigned {
        /// The key name looked for.
        name: String,
        /// The key's fingerprint.
        key: String,
        /// What was found instead.
        found: &'static str,
    },
}

/// A tree checkpoint: the log of `size` entries has Merkle root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeCheckpoint {
    /// `<host>/teller/<election id>`: the log's name, and its key's name.
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// `MTH` of those entries (§5a).
    pub root: Digest,
}

/// The origin of an election's log on the service at `host`.
pub fn origin(host: &str, election: &str) -> String {
    format!("{host}/teller/{election}")
}

/// A signed note's key id for an Ed25519 key: the first four bytes of
/// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    typed_key_id(name, ED25519, &key.0)
}

/// The key id of a signed-note key of signature type `alg`: the first four
/// bytes of SHA-256(name ‖ 0x0A ‖ alg ‖ public key) (`c2sp.org/signed-note`).
pub(crate) fn typed_key_id(name: &str, alg: u8, key: &[u8; 32]) -> [u8; 4] {
    let d = Digest::of_parts(&[name.as_bytes(), b"\n", &[alg], key]);
    [d.0[0], d.0[1], d.0[2], d.0[3]]
}

/// Whether `name` may name a key in a signed note: not empty, and no
/// Unicode space, plus sign or control character (`c2sp.org/signed-note`).
pub fn is_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// Why a verifier key (vkey) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VkeyError {
    /// Not `<name>+<8 hex>+<base64>` with a valid key name.
    #[error("§6b: not a verifier key <name>+<key id>+<base64 key>: {0}")]
    Malformed(&'static str),
    /// The key is of another signature type than the one expected.
    #[error("§6b: expected a key of signature type 0x{expected:02x}, found 0x{found:02x}")]
    WrongType {
        /// The type byte expected.
        expected: u8,
        /// The type byte found.
        found: u8,
    },
    /// The key id written is not the one the name and key give.
    #[error("§6b: the key id {found} is not {expected}, the one its name and key give")]
    WrongKeyId {
        /// The key id the name and key give, in hex.
        expected: String,
        /// The key id written.
        found: String,
    },
}

/// A verifier key: `<name>+<hex(key id)>+<base64(alg ‖ key)>`.
pub(crate) fn vkey_of(name: &str, alg: u8, key: &[u8; 32]) -> String {
    let mut material = vec![alg];
    material.extend_from_slice(key);
    format!(
        "{name}+{}+{}",
        hex::encode(typed_key_id(name, alg, key)),
        STANDARD.encode(material)
    )
}

/// Read a verifier key of signature type `alg` and a 32-byte key: its name
/// and key. The key id must be the one the name and key give.
pub(crate) fn parse_vkey(vkey: &str, alg: u8) -> Result<(String, [u8; 32]), VkeyError> {
    // The base64 key may itself hold plus signs: split at the first two.
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(VkeyError::Malformed("expected three parts separated by +"));
    };
    if !is_key_name(name) {
        return Err(VkeyError::Malformed(
            "the key name is empty or has a space or control character",
        ));
    }
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(VkeyError::Malformed("the key id is not 8 lower-case hex digits"));
    }
    let bytes = match STANDARD.decode(material) {
        Ok(bytes) if STANDARD.encode(&bytes) == material => bytes,
        _ => return Err(VkeyError::Malformed("the key is not standard base64")),
    };
    let Some((&found, key)) = bytes.split_first() else {
        return Err(VkeyError::Malformed("the key is empty"));
    };
    if found != alg {
        return Err(VkeyError::WrongType { expected: alg, found });
    }
    let Ok(key) = <[u8; 32]>::try_from(key) else {
        return Err(VkeyError::Malformed("the key is not 32 bytes"));
    };
    let expected = hex::encode(typed_key_id(name, alg, &key));
    if expected != id {
        return Err(VkeyError::WrongKeyId {
            expected,
            found: id.to_string(),
        });
    }
    Ok((name.to_string(), key))
}

/// The election key's verifier key, as a log's key in signed-note tooling
/// and in a witness's list of logs (FORMAT.md §6b):
/// `<origin>+<hex(key id)>+<base64(0x01 ‖ public key)>`.
pub fn log_vkey(origin: &str, key: &PublicKey) -> String {
    vkey_of(origin, ED25519, &key.0)
}

/// A log a witness follows: its origin and the election key that signs its
/// checkpoints, read from the log's verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    /// The log's origin, the key's name.
    pub origin: String,
    /// The election key.
    pub key: PublicKey,
}

impl LogKey {
    /// Read a log's verifier key (`<origin>+<key id>+<base64(0x01 ‖ key)>`).
    pub fn parse(vkey: &str) -> Result<LogKey, VkeyError> {
        let (origin, key) = parse_vkey(vkey, ED25519)?;
        Ok(LogKey {
            origin,
            key: PublicKey(key),
        })
    }

    /// The verifier key, as [`log_vkey`] writes it.
    pub fn vkey(&self) -> String {
        log_vkey(&self.origin, &self.key)
    }
}

impl TreeCheckpoint {
    /// The note's text, which the signatures cover: origin, size in
    /// decimal and root in standard base64, each ending in a newline.
    pub fn text(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root.0))
    }

    /// The signed note: the text, a blank line and the election key's
    /// signature line; `sign` signs the text's bytes.
    pub fn signed_note(&self, key: &PublicKey, sign: impl FnOnce(&[u8]) -> Signature) -> String {
        let text = self.text();
        let signature = sign(text.as_bytes());
        let mut blob = key_id(&self.origin, key).to_vec();
        blob.extend_from_slice(&signature.0);
        format!("{text}\n{DASH}{} {}\n", self.origin, STANDARD.encode(blob))
    }

    /// Read a signed note as this election's checkpoint, signed by `key`:
    /// the origin must end in `/teller/<election>`, and a signature line
    /// named by the origin, with `key`'s key id, must verify. Lines of
    /// other keys (witnesses) are ignored here.
    pub fn open(note: &str, election: &str, key: &PublicKey) -> Result<TreeCheckpoint, NoteError> {
        let (text, signatures) = split(note)?;
        let checkpoint = parse_text(text)?;
        let suffix = format!("/teller/{election}");
        if !checkpoint.origin.ends_with(&suffix) || checkpoint.origin.len() == suffix.len() {
            return Err(NoteError::WrongOrigin {
                election: election.to_string(),
                found: checkpoint.origin,
            });
        }
        verify_log_signature(text, &signatures, &checkpoint, key)?;
        Ok(checkpoint)
    }

    /// Read a signed note as a checkpoint of the log whose election key is
    /// `key`, whatever its origin: a signature line named by the origin,
    /// with `key`'s key id, must verify; other keys' lines are ignored. A
    /// witness reads the checkpoints of the logs it follows so (§6b).
    pub fn open_log(note: &str, key: &PublicKey) -> Result<TreeCheckpoint, NoteError> {
        let (text, signatures) = split(note)?;
        let checkpoint = parse_text(text)?;
        verify_log_signature(text, &signatures, &checkpoint, key)?;
        Ok(checkpoint)
    }
}

/// Check that the first signature line of `key`, named by the checkpoint's
/// origin, verifies over the text.
fn verify_log_signature(
    text: &str,
    signatures: &[SignatureLine<'_>],
    checkpoint: &TreeCheckpoint,
    key: &PublicKey,
) -> Result<(), NoteError> {
    let id = key_id(&checkpoint.origin, key);
    let unsigned = |found| NoteError::Unsigned {
        name: checkpoint.origin.clone(),
        key: key.to_hex(),
        found,
    };
    // The first line of this key decides, as in Go's note.Open.
    let Some((_, blob)) = signatures
        .iter()
        .find(|(name, blob)| *name == checkpoint.origin && blob.get(..4) == Some(&id[..]))
    else {
        return Err(unsigned("no signature line of that key"));
    };
    let mut signature = [0u8; 64];
    if blob.len() != 68 {
        return Err(unsigned("a signature of the wrong length"));
    }
    signature.copy_from_slice(&blob[4..]);
    if !key.verifies(text.as_bytes(), &Signature(signature)) {
        return Err(unsigned("a signature that does not verify"));
    }
    Ok(())
}

/// A signature line: the key name and the decoded base64 (key id ‖
/// signature).
pub(crate) type SignatureLine<'a> = (&'a str, Vec<u8>);

/// Split a signed note into its text (with its final newline) and its
/// signature lines.
fn split(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), NoteError> {
    let bad = |why: &str| NoteError::Malformed(why.to_string());
    if note.len() > MAX_NOTE_BYTES {
        return Err(bad("longer than 64 KiB"));
    }
    if note.chars().any(|c| c < ' ' && c != '\n') {
        return Err(bad("a control character other than newline"));
    }
    let Some(at) = note.rfind("\n\n") else {
        return Err(bad("no blank line before the signatures"));
    };
    let (text, rest) = (&note[..=at], &note[at + 2..]);
    if !rest.ends_with('\n') {
        return Err(bad("the last signature line does not end in a newline"));
    }
    let mut signatures = Vec::new();
    for line in rest[..rest.len() - 1].split('\n') {
        signatures.push(parse_signature_line(line).map_err(bad)?);
    }
    if signatures.is_empty() || signatures.len() > MAX_SIGNATURES {
        return Err(bad("no signature line, or more than 100"));
    }
    Ok((text, signatures))
}

/// Read one signature line (without its newline): `— <name> <base64>`, the
/// key name and the decoded key id ‖ signature.
pub(crate) fn parse_signature_line(line: &str) -> Result<SignatureLine<'_>, &'static str> {
    let Some(line) = line.strip_prefix(DASH) else {
        return Err("a signature line that does not start with an em dash and a space");
    };
    let Some((name, b64)) = line.split_once(' ') else {
        return Err("a signature line without a key name and a signature");
    };
    if name.is_empty() || name.contains('+') || b64.contains(' ') {
        return Err("a signature line with a bad key name");
    }
    let Ok(blob) = STANDARD.decode(b64) else {
        return Err("a signature that is not base64");
    };
    if blob.len() < 5 {
        return Err("a signature shorter than a key id");
    }
    Ok((name, blob))
}

/// Read a checkpoint's text: origin, size and root lines (extension lines
/// after them are not part of this version and are refused).
fn parse_text(text: &str) -> Result<TreeCheckpoint, NoteError> {
    let bad = |why: &str| NoteError::NotACheckpoint(why.to_string());
    let lines: Vec<&str> = text.strip_suffix('\n').unwrap_or(text).split('\n').collect();
    let [origin, size, root] = lines[..] else {
        return Err(bad("expected three lines: origin, size and root"));
    };
    if origin.is_empty() || origin.contains(' ') || origin.contains('+') {
        return Err(bad("the origin is empty or has a space or plus sign"));
    }
    let canonical_size = size.bytes().all(|b| b.is_ascii_digit()) && (size == "0" || !size.starts_with('0'));
    let Some(size) = size.parse::<u64>().ok().filter(|_| canonical_size) else {
        return Err(bad("the size is not a decimal number without leading zeros"));
    };
    let root = match STANDARD.decode(root) {
        Ok(bytes) if bytes.len() == 32 && STANDARD.encode(&bytes) == root => {
            let mut d = [0u8; 32];
            d.copy_from_slice(&bytes);
            Digest(d)
        }
        _ => return Err(bad("the root is not 32 bytes in standard base64")),
    };
    Ok(TreeCheckpoint {
        origin: origin.to_string(),
        size,
        root,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

    /// RFC 8032 §7.1 TEST 1.
    fn pair() -> (Ed25519KeyPair, PublicKey) {
        let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        let mut public = [0u8; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        (pair, PublicKey(public))
    }

    fn signer(pair: &Ed25519KeyPair) -> impl FnOnce(&[u8]) -> Signature + '_ {
        |bytes| {
            let mut s = [0u8; 64];
            s.copy_from_slice(pair.sign(bytes).as_ref());
            Signature(s)
        }
    }

    fn checkpoint() -> TreeCheckpoint {
        TreeCheckpoint {
            origin: origin("vote.example.org", ELECTION),
            size: 7,
            root: Digest::of(b"root"),
        }
    }

    #[test]
    fn a_signed_checkpoint_opens_with_the_election_key() {
        let (pair, key) = pair();
        let note = checkpoint().signed_note(&key, signer(&pair));
        assert!(note.starts_with(&format!("vote.example.org/teller/{ELECTION}\n7\n")));
        assert!(note.contains("\n\n\u{2014} vote.example.org/teller/"));
        assert_eq!(TreeCheckpoint::open(&note, ELECTION, &key).unwrap(), checkpoint());
        // A witness's line beside it is ignored.
        let with_witness = format!("{note}\u{2014} witness.example AAAAAAAAAAAAAAAA\n");
        assert_eq!(
            TreeCheckpoint::open(&with_witness, ELECTION, &key).unwrap(),
            checkpoint()
        );
    }

    #[test]
    fn changed_forged_or_foreign_notes_are_refused() {
        let (pair, key) = pair();
        let note = checkpoint().signed_note(&key, signer(&pair));
        let changed = note.replacen("\n7\n", "\n8\n", 1);
        assert!(matches!(
            TreeCheckpoint::open(&changed, ELECTION, &key),
            Err(NoteError::Unsigned { .. })
        ));
        assert!(matches!(
            TreeCheckpoint::open(&note, "11111111-1111-4111-8111-111111111111", &key),
            Err(NoteError::WrongOrigin { .. })
        ));
        let other = PublicKey([9; 32]);
        assert!(matches!(
            TreeCheckpoint::open(&note, ELECTION, &other),
            Err(NoteError::Unsigned { .. })
        ));
        for bad in [
            note.replace("\n\n", "\n"),
            note.replace('\u{2014}', "-"),
            format!("{note}\x07"),
            note.trim_end().to_string(),
            note.replacen("\n7\n", "\n07\n", 1),
            note.replacen("\n7\n", "\n7\nextension\n", 1),
        ] {
            assert!(TreeCheckpoint::open(&bad, ELECTION, &key).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_key_id_follows_the_signed_note_spec() {
        let (_, key) = pair();
        let name = origin("vote.example.org", ELECTION);
        let mut input = name.as_bytes().to_vec();
        input.push(0x0a);
        input.push(0x01);
        input.extend_from_slice(&key.0);
        let d = ring::digest::digest(&ring::digest::SHA256, &input);
        assert_eq!(key_id(&name, &key), d.as_ref()[..4]);
    }
}
