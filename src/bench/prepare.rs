//! Preparing an election to cast in, through the same library calls the
//! staff commands make: create the example election, import a roll, issue
//! tokens (kept in memory: they are the load), open the polls.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, Result};
use teller_audit::definition::Definition;

use crate::db::AnyConnection;
use crate::domain::spec;
use crate::domain::token::Token;
use crate::ops::{create, lifecycle, roll, OpError};
use crate::secrets::MasterSecret;
use crate::time::now;

/// The actor the log names for everything the benchmark does.
pub const ACTOR: &str = "cli:bench";

/// An election with its tokens, ready to open.
pub struct Prepared {
    /// The election's id.
    pub election: String,
    /// What is on its ballot.
    pub definition: Definition,
    /// One token per member, none used.
    pub tokens: Vec<Token>,
}

/// The example board election (examples/board-election.toml).
pub fn example_spec() -> Result<spec::ElectionSpec> {
    spec::parse(include_str!("../../examples/board-election.toml"))
        .map_err(OpError::Definition)
        .context("the example election does not parse")
}

/// A roll of `members` synthetic members: `member_id,name,email`.
pub fn roll_csv(members: u64) -> String {
    let mut csv = String::with_capacity(48 * members as usize + 32);
    csv.push_str("member_id,name,email\n");
    for i in 0..members {
        let _ = writeln!(csv, "B{i:07},Member {i},member{i}@example.org");
    }
    csv
}

/// Create the example election, import `members` members and issue each a
/// token; the election stays a draft. `label` names it in progress lines.
pub fn election_with_tokens(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    members: u64,
    label: &str,
) -> Result<Prepared> {
    let spec = example_spec()?;
    let election = create::create_election(conn, secret, &spec, ACTOR, now())?;
    let started = Instant::now();
    let summary = roll::import_roll(conn, &election, roll_csv(members).as_bytes(), ACTOR, now())?;
    anyhow::ensure!(
        summary.total == members,
        "the roll has {} members, not {members}",
        summary.total
    );
    let imported = started.elapsed();
    let issued = roll::issue_tokens(conn, secret, &election, ACTOR, now())?;
    anyhow::ensure!(
        issued.len() as u64 == members,
        "{} tokens issued for {members} members",
        issued.len()
    );
    if members >= 10_000 {
        eprintln!(
            "  {label}: roll of {members} imported in {:.1} s, tokens issued in {:.1} s",
            imported.as_secs_f64(),
            (started.elapsed() - imported).as_secs_f64()
        );
    }
    Ok(Prepared {
        election,
        definition: spec.definition,
        tokens: issued.into_iter().map(|t| t.token).collect(),
    })
}

/// Open the polls.
pub fn open(conn: &mut AnyConnection, secret: &MasterSecret, election: &str) -> Result<()> {
    lifecycle::open(conn, secret, election, ACTOR, now())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roll_is_valid_and_sized() {
        let csv = roll_csv(3);
        assert_eq!(
            csv,
            "member_id,name,email\nB0000000,Member 0,member0@example.org\nB0000001,Member 1,member1@example.org\n\
             B0000002,Member 2,member2@example.org\n"
        );
        let parsed = crate::domain::roll::parse(roll_csv(500).as_bytes()).unwrap();
        assert_eq!(parsed.members.len(), 500);
    }

    #[test]
    fn an_election_is_prepared_with_a_token_per_member() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("t.db").to_string_lossy().into_owned();
        let pool = crate::db::connect(&url, 1).unwrap();
        let mut conn = crate::db::get(&pool).unwrap();
        let secret = MasterSecret::from_bytes(&[7u8; 32]).unwrap();
        let p = election_with_tokens(&mut conn, &secret, 20, "test").unwrap();
        assert_eq!(p.tokens.len(), 20);
        open(&mut conn, &secret, &p.election).unwrap();
        let status = crate::ops::cast::token_status(&mut conn, &secret, &p.tokens[0]).unwrap();
        assert!(matches!(
            status,
            crate::store::members::TokenStatus::Known { voted: false, .. }
        ));
    }
}
