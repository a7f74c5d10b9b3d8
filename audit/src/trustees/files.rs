//! The files of `teller-audit trustee` (§16.12): the board a trustee
//! downloads (or a folder of messages), the secret files kept in the
//! trustee's own folder, and the replay of a board into a [`Board`].
//!
//! Secret files are written once, readable only by their owner, and never
//! overwritten (`witness::cli::write_private_new`); the folder is made
//! owner-only too. The trustee keeps it on encrypted media (§C, question 7).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::board::{Board, Exclusion, Rule};
use super::ceremony::{KeyShare, Polynomial, TrusteeSecret};
use super::envelope::{Envelope, Round};
use super::{Parameters, TrusteeIndex};
use crate::canonical;
use crate::crypto::{PublicKey, Seed};
use crate::encrypted::group::{g_pow, hex_scalar, Element, Scalar};
use crate::witness::cli::write_private_new;

/// The `format` of a board file.
pub const BOARD_FORMAT: &str = "teller-ceremony-board/1";
/// The `format` of a trustee's secret file.
pub const SECRET_FORMAT: &str = "teller-trustee-secret/1";
/// The `format` of a polynomial file.
pub const POLYNOMIAL_FORMAT: &str = "teller-trustee-polynomial/1";
/// The `format` of a key-share file.
pub const KEY_SHARE_FORMAT: &str = "teller-trustee-key-share/1";
/// The board file's name inside a board folder.
pub const BOARD_FILE_NAME: &str = "board.json";
/// The secret file's name inside a trustee's folder.
pub const SECRET_FILE_NAME: &str = "trustee.json";

/// A trustee as staff named it: `{"trustee": j, "name": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTrustee {
    /// `j`.
    pub trustee: TrusteeIndex,
    /// The name.
    pub name: String,
}

/// A logged exclusion: `{"attempt", "trustee", "rule", "actor"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionEntry {
    /// The attempt it was made in (0 before registration ended).
    pub attempt: u32,
    /// The trustee.
    pub trustee: TrusteeIndex,
    /// One of §16.4's rule names.
    pub rule: String,
    /// The staff member, for `absent`; `null` otherwise.
    pub actor: Option<String>,
}

impl From<&Exclusion> for ExclusionEntry {
    fn from(e: &Exclusion) -> ExclusionEntry {
        ExclusionEntry {
            attempt: e.attempt,
            trustee: e.trustee,
            rule: e.rule.name().to_string(),
            actor: e.actor.clone(),
        }
    }
}

/// What Teller serves as a ceremony's board, and what a trustee downloads:
///
/// ```json
/// {"format": "teller-ceremony-board/1", "election": "<id>", "threshold": 2,
///  "trustees": [{"trustee": 1, "name": "…"}, …],
///  "exclusions": [{"attempt": 1, "trustee": 3, "rule": "absent", "actor": "…"}],
///  "messages": [<every accepted envelope, in the order accepted>]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardFile {
    /// Always `teller-ceremony-board/1`.
    pub format: String,
    /// The election.
    #[serde(deserialize_with = "canonical::election_id")]
    pub election: String,
    /// `K`.
    pub threshold: u32,
    /// The named trustees, `1 … N` in order.
    pub trustees: Vec<NamedTrustee>,
    /// Every `trustee_excluded` entry, in log order.
    pub exclusions: Vec<ExclusionEntry>,
    /// Every accepted message, in the order accepted.
    pub messages: Vec<Envelope>,
}

impl BoardFile {
    /// An empty board for `params`.
    pub fn new(params: &Parameters) -> BoardFile {
        BoardFile {
            format: BOARD_FORMAT.to_string(),
            election: params.election().to_string(),
            threshold: params.threshold(),
            trustees: params
                .indices()
                .map(|j| NamedTrustee {
                    trustee: j,
                    name: params.name(j).unwrap_or_default().to_string(),
                })
                .collect(),
            exclusions: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// The parameters it names.
    pub fn params(&self) -> Result<Parameters, String> {
        if self.format != BOARD_FORMAT {
            return Err(format!(
                "not a ceremony board (format {:?}, expected {BOARD_FORMAT:?})",
                self.format
            ));
        }
        if let Some((n, t)) = self
            .trustees
            .iter()
            .enumerate()
            .find(|(n, t)| t.trustee as usize != n + 1)
        {
            return Err(format!(
                "the board's trustee number {} is listed as {}: trustees must be numbered 1, 2, … in order",
                n + 1,
                t.trustee
            ));
        }
        let names = self.trustees.iter().map(|t| t.name.clone()).collect();
        Parameters::new(&self.election, self.threshold, names).map_err(|e| e.to_string())
    }
}

/// A board replayed: its state, and what a folder held that the board
/// would not take.
#[derive(Debug)]
pub struct Replay {
    /// The board after every message and exclusion.
    pub board: Board,
    /// Messages of a folder that were not accepted (stale, duplicate), with why.
    pub skipped: Vec<String>,
}

/// Replay a board file into a [`Board`], re-applying every rule. Staff's
/// `absent` exclusions are applied at the end of their attempt's messages;
/// every exclusion by rules 1–4 that the file lists must be one the replay
/// makes itself. A message the board refuses is an error (the server
/// should have refused it), unless `lenient` (a folder, which may hold
/// stale copies): then it is skipped and reported.
pub fn replay(file: &BoardFile, lenient: bool) -> Result<Replay, String> {
    let mut board = Board::new(file.params()?);
    let mut skipped = Vec::new();
    // Staff's exclusions, by attempt, grouped by actor in file order.
    let mut absent: BTreeMap<u32, Vec<(String, Vec<TrusteeIndex>)>> = BTreeMap::new();
    for e in &file.exclusions {
        let rule = Rule::from_name(&e.rule)
            .ok_or_else(|| format!("the board lists an exclusion by an unknown rule {:?}", e.rule))?;
        if rule != Rule::Absent {
            continue;
        }
        let actor = e
            .actor
            .clone()
            .ok_or_else(|| format!("trustee {}'s absent exclusion names no staff member", e.trustee))?;
        let groups = absent.entry(e.attempt).or_default();
        match groups.iter_mut().find(|(a, _)| *a == actor) {
            Some((_, list)) => list.push(e.trustee),
            None => groups.push((actor, vec![e.trustee])),
        }
    }
    for m in &file.messages {
        // A message of a later attempt (or any after registration) comes
        // after staff's exclusions of the current one.
        while (m.attempt > board.attempt() || (board.attempt() == 0 && m.round != Round::Register))
            && absent.contains_key(&board.attempt())
        {
            apply_absent(&mut board, &mut absent)?;
        }
        if let Err(refusal) = board.post(m) {
            let what = format!("trustee {}'s {} message of attempt {}", m.trustee, m.round, m.attempt);
            if lenient {
                skipped.push(format!("{what}: {refusal}"));
            } else {
                return Err(format!("the board holds {what}, which must be refused: {refusal}"));
            }
        }
    }
    if absent.contains_key(&board.attempt()) {
        apply_absent(&mut board, &mut absent)?;
    }
    if let Some((attempt, groups)) = absent.iter().next() {
        let who: Vec<String> = groups.iter().flat_map(|(_, l)| l.iter().map(u32::to_string)).collect();
        return Err(format!(
            "the board lists absent exclusions of trustee(s) {} in attempt {attempt}, which its messages never reach",
            who.join(", ")
        ));
    }
    for e in &file.exclusions {
        if e.rule == Rule::Absent.name() {
            continue;
        }
        let found = board
            .exclusions()
            .iter()
            .any(|x| x.attempt == e.attempt && x.trustee == e.trustee && x.rule.name() == e.rule);
        if !found {
            return Err(format!(
                "the board says trustee {} was excluded in attempt {} ({}), but its messages do not show it",
                e.trustee, e.attempt, e.rule
            ));
        }
    }
    Ok(Replay { board, skipped })
}

fn apply_absent(board: &mut Board, absent: &mut BTreeMap<u32, Vec<(String, Vec<TrusteeIndex>)>>) -> Result<(), String> {
    let attempt = board.attempt();
    for (actor, trustees) in absent.remove(&attempt).unwrap_or_default() {
        board.exclude_absent(&trustees, &actor).map_err(|e| {
            format!("the board lists trustee(s) excluded as absent in attempt {attempt} by {actor}, which must be refused: {e}")
        })?;
        if board.attempt() != attempt {
            // The exclusion ended the attempt; staff's other exclusions of
            // it (by another actor) would have been of the next one.
            break;
        }
    }
    Ok(())
}

/// Read a board: a board file, or a folder holding `board.json` and any
/// number of message files (`*.json`), read in the order attempt, round,
/// trustee after the board file's own messages. Returns the file and
/// whether it came from a folder.
pub fn read_board(path: &Path) -> Result<(BoardFile, bool), String> {
    if !path.is_dir() {
        return Ok((read_json(path, "board")?, false));
    }
    let mut file: BoardFile = read_json(&path.join(BOARD_FILE_NAME), "board")?;
    let mut extra = Vec::new();
    for p in json_files(path)? {
        if p.file_name().is_some_and(|n| n == BOARD_FILE_NAME) {
            continue;
        }
        let e: Envelope = read_json(&p, "ceremony message")?;
        extra.push(e);
    }
    let order = |e: &Envelope| (e.attempt, e.round, e.trustee);
    extra.sort_by_key(order);
    let mut seen: Vec<_> = file.messages.iter().map(Envelope::digest).collect();
    for e in extra {
        let d = e.digest();
        if !seen.contains(&d) {
            seen.push(d);
            file.messages.push(e);
        }
    }
    Ok((file, true))
}

/// The `.json` files of a folder, in name order.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read the folder {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Read a JSON file strictly (FORMAT.md §1), naming the path of what is wrong.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the {what} {}: {e}", path.display()))?;
    crate::verify::read_strict(std::io::BufReader::new(file), &path.display().to_string())
        .map_err(|e| format!("{} is not a valid {what}: {e}", path.display()))
}

// ---------------------------------------------------------------- secret files

/// `trustee.json`: the trustee's keys for the whole election.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretFile {
    format: String,
    #[serde(deserialize_with = "canonical::election_id")]
    election: String,
    trustee: TrusteeIndex,
    name: String,
    /// The Ed25519 seed.
    signing_seed: Seed,
    /// `d_j`.
    #[serde(with = "hex_scalar")]
    encryption_secret: Scalar,
    /// Public, for the trustee to compare with what the board shows.
    signing_key: PublicKey,
    /// Public: `E_j`.
    encryption_key: Element,
}

impl Drop for SecretFile {
    fn drop(&mut self) {
        self.signing_seed.0.zeroize();
        self.encryption_secret.zeroize();
    }
}

/// `attempt-A-polynomial.json`: a polynomial between commit and finish.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolynomialFile {
    format: String,
    #[serde(deserialize_with = "canonical::election_id")]
    election: String,
    trustee: TrusteeIndex,
    attempt: u32,
    #[serde(with = "hex_scalars")]
    coefficients: Vec<Scalar>,
}

impl Drop for PolynomialFile {
    fn drop(&mut self) {
        self.coefficients.zeroize();
    }
}

/// `attempt-A-key-share.json`: `x_j` and its public values.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyShareFile {
    format: String,
    #[serde(deserialize_with = "canonical::election_id")]
    election: String,
    trustee: TrusteeIndex,
    attempt: u32,
    #[serde(with = "hex_scalar")]
    key_share: Scalar,
    verification_key: Element,
    joint_key: Element,
}

impl Drop for KeyShareFile {
    fn drop(&mut self) {
        self.key_share.zeroize();
    }
}

/// Serde for a list of scalars as hex.
mod hex_scalars {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::encrypted::group::{scalar_from_hex, scalar_to_hex, Scalar};

    pub fn serialize<S: Serializer>(list: &[Scalar], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(scalar_to_hex))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scalar>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| scalar_from_hex(t).map_err(|e| serde::de::Error::custom(format!("a coefficient: {e}"))))
            .collect()
    }
}

/// The trustee's folder: create it owner-only if it does not exist.
pub fn make_folder(dir: &Path) -> Result<(), String> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))
}

/// Write `value` as a new owner-only file (never replacing one).
fn write_secret<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let text = Zeroizing::new(serde_json::to_string_pretty(value).map_err(|e| e.to_string())? + "\n");
    write_private_new(path, &text)
}

/// Write the trustee's secret file in `dir`.
pub fn write_secret_file(dir: &Path, secret: &TrusteeSecret) -> Result<PathBuf, String> {
    let path = dir.join(SECRET_FILE_NAME);
    write_secret(
        &path,
        &SecretFile {
            format: SECRET_FORMAT.to_string(),
            election: secret.election().to_string(),
            trustee: secret.trustee(),
            name: secret.name().to_string(),
            signing_seed: Seed(*secret.signing_seed()),
            encryption_secret: *secret.encryption_secret(),
            signing_key: secret.signing_key(),
            encryption_key: secret.encryption_key(),
        },
    )?;
    Ok(path)
}

/// Read the trustee's secret file from `dir`, checking that its public
/// keys are its secrets'.
pub fn read_secret_file(dir: &Path) -> Result<TrusteeSecret, String> {
    let path = dir.join(SECRET_FILE_NAME);
    let file: SecretFile = read_json(&path, "trustee secret file")?;
    if file.format != SECRET_FORMAT {
        return Err(format!("{} is not a trustee secret file", path.display()));
    }
    let secret = TrusteeSecret::from_parts(
        &file.election,
        file.trustee,
        &file.name,
        file.signing_seed.0,
        file.encryption_secret,
    );
    if secret.signing_key() != file.signing_key || secret.encryption_key() != file.encryption_key {
        return Err(format!(
            "{}: the public keys written in it are not its secrets' (the file is damaged)",
            path.display()
        ));
    }
    Ok(secret)
}

/// `attempt-A-polynomial.json` in `dir`.
pub fn polynomial_path(dir: &Path, attempt: u32) -> PathBuf {
    dir.join(format!("attempt-{attempt}-polynomial.json"))
}

/// `attempt-A-key-share.json` in `dir`.
pub fn key_share_path(dir: &Path, attempt: u32) -> PathBuf {
    dir.join(format!("attempt-{attempt}-key-share.json"))
}

/// Write a polynomial file.
pub fn write_polynomial(dir: &Path, secret: &TrusteeSecret, p: &Polynomial) -> Result<PathBuf, String> {
    let path = polynomial_path(dir, p.attempt());
    write_secret(
        &path,
        &PolynomialFile {
            format: POLYNOMIAL_FORMAT.to_string(),
            election: secret.election().to_string(),
            trustee: secret.trustee(),
            attempt: p.attempt(),
            coefficients: p.coefficients().copied().collect(),
        },
    )?;
    Ok(path)
}

/// Read the polynomial of `attempt`, if its file exists.
pub fn read_polynomial(dir: &Path, secret: &TrusteeSecret, attempt: u32) -> Result<Option<Polynomial>, String> {
    let path = polynomial_path(dir, attempt);
    if !path.exists() {
        return Ok(None);
    }
    let mut file: PolynomialFile = read_json(&path, "polynomial file")?;
    if file.format != POLYNOMIAL_FORMAT
        || file.election != secret.election()
        || file.trustee != secret.trustee()
        || file.attempt != attempt
    {
        return Err(format!(
            "{} is not this trustee's polynomial for attempt {attempt}",
            path.display()
        ));
    }
    // Taken, not copied: the file's copy is wiped when it drops.
    Ok(Some(Polynomial::from_coefficients(
        attempt,
        std::mem::take(&mut file.coefficients),
    )))
}

/// Erase every polynomial file in `dir` (after `finish`: the key share is
/// all that is needed from then on). Returns the files removed.
pub fn erase_polynomials(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut removed = Vec::new();
    for p in json_files(dir)? {
        let is_polynomial = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("attempt-") && n.ends_with("-polynomial.json"));
        if is_polynomial {
            std::fs::remove_file(&p).map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
            removed.push(p);
        }
    }
    Ok(removed)
}

/// Write a key-share file.
pub fn write_key_share(dir: &Path, share: &KeyShare) -> Result<PathBuf, String> {
    let path = key_share_path(dir, share.attempt);
    write_secret(
        &path,
        &KeyShareFile {
            format: KEY_SHARE_FORMAT.to_string(),
            election: share.election.clone(),
            trustee: share.trustee,
            attempt: share.attempt,
            key_share: *share.secret,
            verification_key: share.verification_key,
            joint_key: share.joint_key,
        },
    )?;
    Ok(path)
}

/// Read the key share of `attempt`, if its file exists; `K_j` must be `g^{x_j}`.
pub fn read_key_share(dir: &Path, secret: &TrusteeSecret, attempt: u32) -> Result<Option<KeyShare>, String> {
    let path = key_share_path(dir, attempt);
    if !path.exists() {
        return Ok(None);
    }
    let file: KeyShareFile = read_json(&path, "key-share file")?;
    if file.format != KEY_SHARE_FORMAT
        || file.election != secret.election()
        || file.trustee != secret.trustee()
        || file.attempt != attempt
    {
        return Err(format!(
            "{} is not this trustee's key share for attempt {attempt}",
            path.display()
        ));
    }
    if Element::from_point(g_pow(&file.key_share)) != file.verification_key {
        return Err(format!(
            "{}: the verification key is not the key share's (the file is damaged)",
            path.display()
        ));
    }
    Ok(Some(KeyShare {
        election: file.election.clone(),
        attempt,
        trustee: file.trustee,
        secret: Zeroizing::new(file.key_share),
        verification_key: file.verification_key,
        joint_key: file.joint_key,
    }))
}
