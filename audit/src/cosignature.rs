//! Witness cosignatures of tree checkpoints (FORMAT.md §6b): the Ed25519
//! cosignature of `c2sp.org/tlog-cosignature` (version 1), by which a
//! witness states that, at a given time, the checkpoint is the largest
//! consistent tree head of the log it has seen.
//!
//! ```text
//! signed message = "cosignature/v1" 0x0A
//!                  "time " <decimal time> 0x0A
//!                  <checkpoint text, with its final newline>
//! key id         = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]
//! line           = "— " <name> " " base64(key id ‖ u64 BE time ‖ Ed25519 signature) 0x0A
//! vkey           = <name> "+" hex(key id) "+" base64(0x04 ‖ public key)
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

use crate::note::{self, VkeyError, DASH};

/// The signature type of Ed25519 cosignatures in signed notes (0x04,
/// `c2sp.org/signed-note`), in the key id and the vkey.
pub const COSIGNATURE_V1: u8 = 0x04;
/// The header line of the signed message: its domain separation.
const HEADER: &str = "cosignature/v1\n";
/// The length of the signature's bytes: key id, time, Ed25519 signature.
const BLOB_LEN: usize = 4 + 8 + 64;
/// The largest time a cosignature may carry (2^63 − 1).
pub const MAX_TIME: u64 = i64::MAX as u64;

/// Why a cosignature line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// Not a signature line `— <name> <base64>`.
    #[error("§6b: not a signature line: {0}")]
    Malformed(&'static str),
    /// A line of another key: another name or key id.
    #[error("§6b: the line is not signed by the witness key {0}")]
    OtherKey(String),
    /// The key's line, but not key id ‖ time ‖ 64-byte signature.
    #[error("§6b: expected {BLOB_LEN} bytes (key id, time, signature), found {0}")]
    WrongLength(usize),
    /// The time is above 2^63 − 1.
    #[error("§6b: the time {0} is above 2^63 - 1")]
    TimeOutOfRange(u64),
    /// The signature does not verify over the checkpoint text and time.
    #[error("§6b: the cosignature of {0} does not verify")]
    BadSignature(String),
}

/// A witness's public key and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WitnessKey {
    /// The key name: a schema-less URL naming the witness.
    pub name: String,
    /// The Ed25519 public key.
    pub key: [u8; 32],
}

impl WitnessKey {
    /// The public key of `secret`, named `name`.
    pub fn of(name: &str, secret: &Ed25519KeyPair) -> WitnessKey {
        let mut key = [0u8; 32];
        key.copy_from_slice(secret.public_key().as_ref());
        WitnessKey {
            name: name.to_string(),
            key,
        }
    }

    /// Read a witness's verifier key, `<name>+<key id>+<base64(0x04 ‖
    /// key)>`; the key id must be the one the name and key give.
    pub fn parse(vkey: &str) -> Result<WitnessKey, VkeyError> {
        let (name, key) = note::parse_vkey(vkey, COSIGNATURE_V1)?;
        Ok(WitnessKey { name, key })
    }

    /// The verifier key, as [`WitnessKey::parse`] reads it.
    pub fn vkey(&self) -> String {
        note::vkey_of(&self.name, COSIGNATURE_V1, &self.key)
    }

    /// The key id: SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4].
    pub fn key_id(&self) -> [u8; 4] {
        note::typed_key_id(&self.name, COSIGNATURE_V1, &self.key)
    }
}

/// The bytes a cosignature signs: the header line, the time line and the
/// checkpoint text.
fn signed_message(checkpoint_text: &str, time: u64) -> Vec<u8> {
    format!("{HEADER}time {time}\n{checkpoint_text}").into_bytes()
}

/// Cosign a checkpoint's text (its lines with their final newline, without
/// the blank line and signatures) at `time`, seconds since the Unix epoch,
/// which must not exceed [`MAX_TIME`] ([`verify`] refuses it otherwise).
/// Returns the signature line, ending in a newline.
pub fn cosign(secret: &Ed25519KeyPair, name: &str, checkpoint_text: &str, time: u64) -> String {
    let id = WitnessKey::of(name, secret).key_id();
    let signature = secret.sign(&signed_message(checkpoint_text, time));
    let mut blob = Vec::with_capacity(BLOB_LEN);
    blob.extend_from_slice(&id);
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(signature.as_ref());
    format!("{DASH}{name} {}\n", STANDARD.encode(blob))
}

/// Verify that `line` (with or without its newline) is `key`'s cosignature
/// of the checkpoint text; returns the time it carries.
pub fn verify(key: &WitnessKey, checkpoint_text: &str, line: &str) -> Result<u64, CosignatureError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let (name, blob) = note::parse_signature_line(line).map_err(CosignatureError::Malformed)?;
    if name != key.name || blob.get(..4) != Some(&key.key_id()[..]) {
        return Err(CosignatureError::OtherKey(key.name.clone()));
    }
    if blob.len() != BLOB_LEN {
        return Err(CosignatureError::WrongLength(blob.len()));
    }
    let mut time = [0u8; 8];
    time.copy_from_slice(&blob[4..12]);
    let time = u64::from_be_bytes(time);
    if time > MAX_TIME {
        return Err(CosignatureError::TimeOutOfRange(time));
    }
    UnparsedPublicKey::new(&ED25519, &key.key)
        .verify(&signed_message(checkpoint_text, time), &blob[12..])
        .map_err(|_| CosignatureError::BadSignature(key.name.clone()))?;
    Ok(time)
}

/// The signature block of a note: the lines after its last blank line,
/// without their newlines (none if the note has no blank line).
fn signature_lines(note: &str) -> Vec<&str> {
    let Some(at) = note.rfind("\n\n") else {
        return Vec::new();
    };
    let block = &note[at + 2..];
    block.strip_suffix('\n').unwrap_or(block).split('\n').collect()
}

/// The key name of a signature line, if it has the line's shape.
fn line_name(line: &str) -> Option<&str> {
    note::parse_signature_line(line).ok().map(|(name, _)| name)
}

/// The cosignature lines of a signed note, without their newlines: its
/// signature lines other than the log's own (those named by the origin,
/// the note's first line). Lines of the wrong shape are left out.
pub fn cosignature_lines(note: &str) -> Vec<&str> {
    let origin = note.split('\n').next().unwrap_or_default();
    signature_lines(note)
        .into_iter()
        .filter(|line| line_name(line).is_some_and(|name| name != origin))
        .collect()
}

/// The key of a signature line: its name and key id.
fn line_key(line: &str) -> Option<(String, Vec<u8>)> {
    let (name, blob) = note::parse_signature_line(line).ok()?;
    Some((name.to_string(), blob.get(..4)?.to_vec()))
}

/// Append cosignature lines (as [`cosign`] returns them) to a signed note,
/// skipping any line whose key (name and key id) already signed the note
/// or an earlier line given, and any line not of a signature line's shape.
pub fn add_lines(note: &str, lines: &[String]) -> String {
    let mut out = note.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let mut keys: Vec<_> = signature_lines(note).into_iter().filter_map(line_key).collect();
    for line in lines {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let Some(key) = line_key(line) else { continue };
        if line.contains('\n') || keys.contains(&key) {
            continue;
        }
        keys.push(key);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The names of the witnesses of `policy` whose cosignature in `note`
/// verifies over `checkpoint_text`, each once, in the policy's order. As
/// in signed notes, a witness's first line with its name and key id decides.
pub fn count_valid(policy: &[WitnessKey], checkpoint_text: &str, note: &str) -> Vec<String> {
    let lines = cosignature_lines(note);
    let mut valid: Vec<&WitnessKey> = Vec::new();
    for key in policy {
        if valid.iter().any(|seen| seen.name == key.name && seen.key == key.key) {
            continue;
        }
        let mine = lines
            .iter()
            .find(|line| !matches!(verify(key, checkpoint_text, line), Err(CosignatureError::OtherKey(_))));
        if mine.is_some_and(|line| verify(key, checkpoint_text, line).is_ok()) {
            valid.push(key);
        }
    }
    valid.into_iter().map(|key| key.name.clone()).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::crypto::{Digest, PublicKey, Signature};
    use crate::note::{origin, LogKey, TreeCheckpoint};

    const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";
    const WITNESS: &str = "witness.example.org/w1";
    const TIME: u64 = 1_796_116_380;

    fn pair(seed_hex: &str) -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_unchecked(&hex::decode(seed_hex).unwrap()).unwrap()
    }

    /// RFC 8032 §7.1 TEST 1, as the witness's key.
    fn witness() -> Ed25519KeyPair {
        pair("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    }

    /// RFC 8032 §7.1 TEST 2, as the election key.
    fn election() -> (Ed25519KeyPair, PublicKey) {
        let pair = pair("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
        let key = PublicKey(pair.public_key().as_ref().try_into().unwrap());
        (pair, key)
    }

    fn checkpoint() -> TreeCheckpoint {
        TreeCheckpoint {
            origin: origin("vote.example.org", ELECTION),
            size: 7,
            root: Digest::of(b"root"),
        }
    }

    fn log_note() -> String {
        let (pair, key) = election();
        checkpoint().signed_note(&key, |bytes| Signature(pair.sign(bytes).as_ref().try_into().unwrap()))
    }

    #[test]
    fn a_cosignature_verifies_and_returns_its_time() {
        let text = checkpoint().text();
        let line = cosign(&witness(), WITNESS, &text, TIME);
        assert!(line.starts_with("\u{2014} witness.example.org/w1 "));
        assert!(line.ends_with('\n'));
        let key = WitnessKey::of(WITNESS, &witness());
        assert_eq!(verify(&key, &text, &line), Ok(TIME));
        assert_eq!(verify(&key, &text, line.trim_end()), Ok(TIME));
    }

    #[test]
    fn the_signed_message_and_bytes_follow_the_spec() {
        let text = checkpoint().text();
        let line = cosign(&witness(), WITNESS, &text, TIME);
        let b64 = line.trim_end().rsplit(' ').next().unwrap();
        let blob = STANDARD.decode(b64).unwrap();
        assert_eq!(blob.len(), 76);
        let key = WitnessKey::of(WITNESS, &witness());
        let mut id_input = WITNESS.as_bytes().to_vec();
        id_input.extend_from_slice(&[0x0a, 0x04]);
        id_input.extend_from_slice(&key.key);
        let digest = ring::digest::digest(&ring::digest::SHA256, &id_input);
        assert_eq!(blob[..4], digest.as_ref()[..4]);
        assert_eq!(blob[4..12], TIME.to_be_bytes());
        let message = format!("cosignature/v1\ntime 1796116380\n{text}");
        UnparsedPublicKey::new(&ED25519, &key.key)
            .verify(message.as_bytes(), &blob[12..])
            .unwrap();
    }

    #[test]
    fn changed_text_time_or_key_is_refused() {
        let text = checkpoint().text();
        let line = cosign(&witness(), WITNESS, &text, TIME);
        let key = WitnessKey::of(WITNESS, &witness());
        let other_text = text.replacen("\n7\n", "\n8\n", 1);
        assert_eq!(
            verify(&key, &other_text, &line),
            Err(CosignatureError::BadSignature(WITNESS.into()))
        );
        let renamed = WitnessKey {
            name: "witness.example.org/w2".into(),
            ..key.clone()
        };
        assert!(matches!(
            verify(&renamed, &text, &line),
            Err(CosignatureError::OtherKey(_))
        ));
        // The same bytes under the other name: the key id no longer matches.
        let relabelled = line.replace("/w1 ", "/w2 ");
        assert!(matches!(
            verify(&renamed, &text, &relabelled),
            Err(CosignatureError::OtherKey(_))
        ));
        // A later time in the line: the signature no longer verifies.
        let mut blob = STANDARD.decode(line.trim_end().rsplit(' ').next().unwrap()).unwrap();
        blob[11] ^= 1;
        let retimed = format!("\u{2014} {WITNESS} {}\n", STANDARD.encode(&blob));
        assert!(matches!(
            verify(&key, &text, &retimed),
            Err(CosignatureError::BadSignature(_))
        ));
        blob[4] = 0x80;
        let huge = format!("\u{2014} {WITNESS} {}\n", STANDARD.encode(&blob));
        assert!(matches!(
            verify(&key, &text, &huge),
            Err(CosignatureError::TimeOutOfRange(_))
        ));
        let short = format!("\u{2014} {WITNESS} {}\n", STANDARD.encode(&blob[..70]));
        assert_eq!(verify(&key, &text, &short), Err(CosignatureError::WrongLength(70)));
        for bad in [
            "",
            "\n",
            "- witness x",
            "\u{2014} witness",
            "\u{2014} w !!!!",
            "\u{2014}  AAAAAAAA",
        ] {
            assert!(
                matches!(verify(&key, &text, bad), Err(CosignatureError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn vkeys_round_trip_and_are_read_strictly() {
        let key = WitnessKey::of(WITNESS, &witness());
        let vkey = key.vkey();
        assert!(vkey.starts_with(&format!("{WITNESS}+{}+BN", hex::encode(key.key_id()))));
        assert_eq!(WitnessKey::parse(&vkey), Ok(key.clone()));
        // A log key is not a witness key, and the other way round.
        let log = LogKey {
            origin: checkpoint().origin,
            key: election().1,
        };
        assert!(matches!(
            WitnessKey::parse(&log.vkey()),
            Err(VkeyError::WrongType { expected: 4, found: 1 })
        ));
        assert!(matches!(LogKey::parse(&vkey), Err(VkeyError::WrongType { .. })));
        assert_eq!(LogKey::parse(&log.vkey()), Ok(log));
        let parts: Vec<&str> = vkey.splitn(3, '+').collect();
        for bad in [
            String::new(),
            format!("{}+{}", parts[0], parts[1]),
            format!("{vkey}+x"),
            format!("{vkey}x"),
            format!("+{}+{}", parts[1], parts[2]),
            format!("a b+{}+{}", parts[1], parts[2]),
            format!("{}+{}+{}", parts[0], parts[1].to_uppercase(), parts[2]),
            format!("{}+{}+{}", parts[0], &parts[1][..6], parts[2]),
            format!("{}+{}+{}", parts[0], parts[1], &parts[2][..parts[2].len() - 4]),
            format!("{vkey}="),
            format!("w2+{}+{}", parts[1], parts[2]),
        ] {
            assert!(WitnessKey::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_log_vkey_follows_the_signed_note_example() {
        // c2sp.org/signed-note's example verifier key: name, key id and
        // base64(0x01 ‖ key) agree with how this crate computes them.
        let example = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
        let log = LogKey::parse(example).unwrap();
        assert_eq!(log.origin, "example.com/foo");
        assert_eq!(note::log_vkey(&log.origin, &log.key), example);
    }

    #[test]
    fn a_note_carrying_cosignatures_still_opens() {
        let note = log_note();
        let text = checkpoint().text();
        let line = cosign(&witness(), WITNESS, &text, TIME);
        let cosigned = add_lines(&note, std::slice::from_ref(&line));
        assert_eq!(cosigned, format!("{note}{line}"));
        let (_, key) = election();
        assert_eq!(TreeCheckpoint::open(&cosigned, ELECTION, &key), Ok(checkpoint()));
        assert_eq!(TreeCheckpoint::open_log(&cosigned, &key), Ok(checkpoint()));
        assert_eq!(cosignature_lines(&cosigned), vec![line.trim_end()]);
        assert!(cosignature_lines(&note).is_empty());
    }

    #[test]
    fn add_lines_keeps_one_line_per_key() {
        let note = log_note();
        let text = checkpoint().text();
        let first = cosign(&witness(), WITNESS, &text, TIME);
        let later = cosign(&witness(), WITNESS, &text, TIME + 60);
        let other = cosign(&election().0, "witness.example.net", &text, TIME);
        let once = add_lines(&note, &[first.clone(), later.clone(), "junk".into(), other.clone()]);
        assert_eq!(once, format!("{note}{first}{other}"));
        assert_eq!(add_lines(&once, &[later, other]), once);
        // The log's own line is not added twice either.
        let own = note.lines().last().unwrap().to_string();
        assert_eq!(add_lines(&note, &[own]), note);
    }

    #[test]
    fn count_valid_counts_each_witness_of_the_policy_once() {
        let text = checkpoint().text();
        let w1 = WitnessKey::of(WITNESS, &witness());
        let w2 = WitnessKey::of("witness.example.net", &election().0);
        let stranger = WitnessKey {
            name: "witness.example.com".into(),
            key: [7; 32],
        };
        let note = add_lines(
            &log_note(),
            &[
                cosign(&witness(), WITNESS, &text, TIME),
                cosign(&election().0, "witness.example.net", &text.replace('7', "8"), TIME),
            ],
        );
        let policy = [w1.clone(), w1.clone(), w2, stranger];
        assert_eq!(count_valid(&policy, &text, &note), vec![WITNESS.to_string()]);
        assert!(count_valid(&policy, &text, &log_note()).is_empty());
        assert!(count_valid(&policy, &text, "not a note").is_empty());
    }

    #[test]
    fn no_input_panics() {
        let key = WitnessKey::of(WITNESS, &witness());
        let text = checkpoint().text();
        for input in [
            "",
            "\n",
            "\n\n",
            "\u{2014}",
            "\n\n\u{2014} \n",
            "a\n\n\u{2014} x AAAA\n\u{2014}",
            "é\n\n\n",
        ] {
            let _ = verify(&key, &text, input);
            let _ = cosignature_lines(input);
            let _ = add_lines(input, &[input.to_string()]);
            let _ = count_valid(std::slice::from_ref(&key), &text, input);
            let _ = WitnessKey::parse(input);
        }
    }
}
