//! The logs a witness follows (`--logs FILE`, FORMAT.md §6b): one log
//! verifier key per line, `<origin>+<key id>+<base64(0x01 ‖ key)>`, as
//! `note::log_vkey` writes it; `#` starts a comment line, and blank lines
//! are skipped.

use crate::note::{LogKey, VkeyError};

/// Why the logs file was refused.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// A line is not a log's verifier key.
    #[error("line {line}: {why}")]
    BadKey {
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        why: VkeyError,
    },
    /// An origin with `/teller/` that is not `<host>/teller/<election id>`.
    #[error("line {line}: {origin:?} is not a Teller origin <host>/teller/<election id>")]
    NotTeller {
        /// The line number.
        line: usize,
        /// The origin.
        origin: String,
    },
    /// The same origin twice.
    #[error("line {line}: {origin:?} is listed twice")]
    Duplicate {
        /// The line number.
        line: usize,
        /// The origin.
        origin: String,
    },
}

/// Whether `id` is an election id: a UUID in lower-case hex, 8-4-4-4-12.
fn is_election_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Whether `origin` is a Teller origin: a host, `/teller/`, an election id.
pub fn is_teller_origin(origin: &str) -> bool {
    match origin.rsplit_once("/teller/") {
        // The host may carry a path: Teller served below one.
        Some((host, election)) => !host.is_empty() && is_election_id(election),
        None => false,
    }
}

/// Read the logs file's text. Any origin may be listed; one that mentions
/// `/teller/` must be a well-formed Teller origin (a typo caught at start
/// rather than a log silently refused).
pub fn parse(text: &str) -> Result<Vec<LogKey>, LogsError> {
    let mut logs: Vec<LogKey> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let entry = raw.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        let log = LogKey::parse(entry).map_err(|why| LogsError::BadKey { line, why })?;
        if log.origin.contains("/teller/") && !is_teller_origin(&log.origin) {
            return Err(LogsError::NotTeller {
                line,
                origin: log.origin,
            });
        }
        if logs.iter().any(|l| l.origin == log.origin) {
            return Err(LogsError::Duplicate {
                line,
                origin: log.origin,
            });
        }
        logs.push(log);
    }
    Ok(logs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::crypto::PublicKey;
    use crate::note::log_vkey;

    const ORIGIN: &str = "vote.example.org/teller/2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

    #[test]
    fn keys_comments_and_blank_lines() {
        let text = format!(
            "# Teller elections\n\n  {}  \n{}\n",
            log_vkey(ORIGIN, &PublicKey([1; 32])),
            log_vkey("example.com/log42", &PublicKey([2; 32]))
        );
        let logs = parse(&text).unwrap();
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].origin, ORIGIN);
        assert_eq!(logs[1].key, PublicKey([2; 32]));
    }

    #[test]
    fn bad_keys_teller_typos_and_duplicates_name_their_line() {
        let good = log_vkey(ORIGIN, &PublicKey([1; 32]));
        assert!(matches!(
            parse(&format!("\n{good}x\n")),
            Err(LogsError::BadKey { line: 2, .. })
        ));
        let typo = log_vkey("vote.example.org/teller/2a6f16d2", &PublicKey([1; 32]));
        assert!(matches!(parse(&typo), Err(LogsError::NotTeller { line: 1, .. })));
        assert!(matches!(
            parse(&format!("{good}\n{}\n", log_vkey(ORIGIN, &PublicKey([3; 32])))),
            Err(LogsError::Duplicate { line: 2, .. })
        ));
    }

    #[test]
    fn the_example_in_docs_witness_md_parses() {
        let docs = include_str!("../../../docs/WITNESS.md");
        let example = docs
            .lines()
            .find(|l| l.trim_start().starts_with("vote.example.org/teller/"))
            .unwrap();
        let logs = parse(example).unwrap();
        assert_eq!(logs[0].vkey(), example.trim());
        let witness = docs
            .lines()
            .find(|l| l.trim_start().starts_with("witness.example.org/w1+"))
            .unwrap();
        assert!(crate::cosignature::WitnessKey::parse(witness.trim()).is_ok());
    }

    #[test]
    fn teller_origins() {
        assert!(is_teller_origin(ORIGIN));
        assert!(!is_teller_origin("/teller/2a6f16d2-c738-4ef1-8402-71c1bfa25a25"));
        assert!(is_teller_origin(
            "example.org/vote/teller/2a6f16d2-c738-4ef1-8402-71c1bfa25a25"
        ));
        assert!(!is_teller_origin(
            "vote.example.org/teller/2A6F16D2-C738-4EF1-8402-71C1BFA25A25"
        ));
        assert!(!is_teller_origin("vote.example.org/teller/"));
    }
}
