//! Candidates' photos and profiles: set while the election is a draft.
//!
//! These are presentation, not part of the election: they are in neither
//! the definition (so not in its hash), the log nor the record, and an
//! auditor cannot check them. So they freeze with the ballot: once the polls
//! open nothing here can change, and what members saw when they voted is
//! what every member sees. A mistake found after the opening stays, as a
//! mistake in a candidate's statement does. Each change is logged (the
//! service log, with the account), not in the election's public log.

use teller_audit::definition::{Candidate, Contest};

use super::{lock_election, require_state, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::domain::photo::Photo;
use crate::store::elections::ElectionRow;
use crate::store::profiles::{self, CandidateKey};

/// The longest profile, in characters.
pub const MAX_PROFILE_CHARS: usize = 5_000;

/// The contest and candidate `contest`/`candidate` name in `row`'s
/// definition, or [`OpError::NoSuchCandidate`].
pub fn find_candidate(row: &ElectionRow, contest: &str, candidate: &str) -> Result<(Contest, Candidate), OpError> {
    let definition = row.definition()?;
    definition
        .contests
        .into_iter()
        .find(|c| c.id == contest)
        .and_then(|c| {
            let k = c.candidates.iter().find(|k| k.id == candidate).cloned()?;
            Some((c, k))
        })
        .ok_or_else(|| OpError::NoSuchCandidate {
            contest: contest.chars().take(64).collect(),
            candidate: candidate.chars().take(64).collect(),
        })
}

/// A profile as typed, tidied (line ends, trailing space), or why it cannot
/// be kept.
pub fn tidy_profile(text: &str) -> Result<String, OpError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim_end().trim_start_matches('\n').to_string();
    let chars = text.chars().count();
    if chars > MAX_PROFILE_CHARS {
        return Err(OpError::Refused(format!(
            "the profile is {chars} characters long; it may be at most {MAX_PROFILE_CHARS}. Shorten it; nothing was saved"
        )));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(OpError::Refused(
            "the profile contains control characters (pasted from a program that adds hidden codes?); paste it as plain text. Nothing was saved".into(),
        ));
    }
    Ok(text)
}

/// What a change was.
enum Change<'a> {
    Photo(&'a Photo),
    RemovePhoto,
    Profile(&'a str),
}

fn change(
    conn: &mut AnyConnection,
    election: &str,
    contest: &str,
    candidate: &str,
    what: Change<'_>,
    now: i64,
) -> Result<(String, bool), OpError> {
    write_tx(conn, |conn| {
        // The head's lock orders this against the opening, which freezes it.
        let (_head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "changing a candidate's photo or profile")?;
        let (_, k) = find_candidate(&row, contest, candidate)?;
        let key = CandidateKey {
            election: row.id.clone(),
            contest: contest.to_string(),
            candidate: candidate.to_string(),
        };
        let changed = match what {
            Change::Photo(photo) => {
                profiles::set_photo(conn, &key, photo, now)?;
                true
            }
            Change::RemovePhoto => profiles::remove_photo(conn, &key, now)?,
            Change::Profile(text) => {
                profiles::set_profile(conn, &key, text, now)?;
                true
            }
        };
        Ok((k.name, changed))
    })
}

/// Make `photo` the candidate's photo. Returns the candidate's name.
pub fn set_photo(
    conn: &mut AnyConnection,
    election: &str,
    contest: &str,
    candidate: &str,
    photo: &Photo,
    actor: &str,
    now: i64,
) -> Result<String, OpError> {
    let (name, _) = change(conn, election, contest, candidate, Change::Photo(photo), now)?;
    tracing::info!(
        election,
        contest,
        candidate,
        actor,
        bytes = photo.bytes.len(),
        "candidate photo set"
    );
    Ok(name)
}

/// Remove the candidate's photo. Returns their name and whether there was one.
pub fn remove_photo(
    conn: &mut AnyConnection,
    election: &str,
    contest: &str,
    candidate: &str,
    actor: &str,
    now: i64,
) -> Result<(String, bool), OpError> {
    let (name, removed) = change(conn, election, contest, candidate, Change::RemovePhoto, now)?;
    if removed {
        tracing::info!(election, contest, candidate, actor, "candidate photo removed");
    }
    Ok((name, removed))
}

/// Set the candidate's profile (checked with [`tidy_profile`]). Returns
/// their name.
pub fn set_profile(
    conn: &mut AnyConnection,
    election: &str,
    contest: &str,
    candidate: &str,
    text: &str,
    actor: &str,
    now: i64,
) -> Result<String, OpError> {
    let text = tidy_profile(text)?;
    let (name, _) = change(conn, election, contest, candidate, Change::Profile(&text), now)?;
    tracing::info!(
        election,
        contest,
        candidate,
        actor,
        chars = text.chars().count(),
        "candidate profile saved"
    );
    Ok(name)
}

/// The paragraphs of a profile: blocks separated by blank lines, each
/// block's lines kept as lines.
pub fn paragraphs(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.to_string());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_tidied_and_bounded() {
        assert_eq!(tidy_profile("\r\nOne\r\n\r\nTwo  \n\n").unwrap(), "One\n\nTwo");
        assert!(tidy_profile(&"é".repeat(MAX_PROFILE_CHARS)).is_ok());
        assert!(tidy_profile(&"é".repeat(MAX_PROFILE_CHARS + 1)).is_err());
        assert!(tidy_profile("bell\u{7}").is_err());
        assert!(tidy_profile("tab\tand\nline").is_ok());
    }

    #[test]
    fn paragraphs_are_split_on_blank_lines() {
        assert_eq!(
            paragraphs("One\nstill one\n\n\n  \nTwo\n"),
            vec![
                vec!["One".to_string(), "still one".to_string()],
                vec!["Two".to_string()]
            ]
        );
        assert!(paragraphs("").is_empty());
    }
}
