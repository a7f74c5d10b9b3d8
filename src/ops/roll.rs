//! The member roll and voting tokens.

use teller_audit::log::Event;

use super::{lock_election, require_state, OpError};
use crate::db::{write_tx, AnyConnection};
use crate::domain::lifecycle::State;
use crate::domain::roll::{self, RowProblem};
use crate::domain::spreadsheet::CsvWriter;
use crate::domain::token::Token;
use crate::secrets::MasterSecret;
use crate::store::log as logstore;
use crate::store::members;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Members added.
    pub added: u64,
    /// Members on the roll now.
    pub total: u64,
    /// Notices (ignored columns).
    pub notices: Vec<String>,
}

/// Import a roll CSV into a draft election: all rows or none.
pub fn import_roll(
    conn: &mut AnyConnection,
    election: &str,
    csv: &[u8],
    actor: &str,
    now: i64,
) -> Result<ImportSummary, OpError> {
    let parsed = roll::parse(csv).map_err(OpError::Roll)?;
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        require_state(&row, State::Draft, "importing members")?;
        let ids: Vec<String> = parsed.members.iter().map(|m| m.member_id.clone()).collect();
        let existing = members::existing_ids(conn, election, &ids)?;
        if !existing.is_empty() {
            let problems = parsed
                .members
                .iter()
                .filter(|m| existing.contains(&m.member_id))
                .map(|m| RowProblem {
                    row: m.row,
                    message: format!("member id {:?} is already on this election's roll", m.member_id),
                })
                .collect();
            return Err(OpError::Roll(problems));
        }
        members::insert_all(conn, election, &parsed.members)?;
        let added = parsed.members.len() as u64;
        record_import(conn, &mut head, election, added, actor, now, parsed.notices.clone())
    })
}

/// After `added` members joined `election`'s roll, in the import's own
/// transaction: refresh the stored figures every page reads (the roll
/// changes only on import) and log the import.
pub(crate) fn record_import(
    conn: &mut AnyConnection,
    head: &mut logstore::HeadRow,
    election: &str,
    added: u64,
    actor: &str,
    now: i64,
    notices: Vec<String>,
) -> Result<ImportSummary, OpError> {
    let total = crate::store::turnout::refresh(conn, election)?.eligible;
    logstore::append(
        conn,
        head,
        vec![Event::RollImported {
            added,
            total,
            actor: actor.to_string(),
        }],
        now,
    )?;
    Ok(ImportSummary { added, total, notices })
}

/// A token just issued: the only time it exists outside the member's hands.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The member.
    pub member_id: String,
    /// Their name.
    pub name: String,
    /// Their e-mail (may be empty).
    pub email: String,
    /// The language of their messages and letters.
    pub lang: crate::i18n::Lang,
    /// The token.
    pub token: Token,
}

/// Issue a token to every member who has none (draft or open elections).
pub fn issue_tokens(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    actor: &str,
    now: i64,
) -> Result<Vec<IssuedToken>, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        let state = row.state()?;
        if state > State::Open {
            return Err(OpError::WrongState {
                action: "issuing tokens",
                needed: "draft or open",
                actual: state,
            });
        }
        let mut issued = Vec::new();
        for m in members::without_token(conn, election)? {
            let token = Token::generate()?;
            members::set_token(conn, election, &m.member_id, &secret.token_hash(token.as_str()))?;
            issued.push(IssuedToken {
                lang: m.lang(),
                member_id: m.member_id,
                name: m.name,
                email: m.email,
                token,
            });
        }
        if !issued.is_empty() {
            logstore::append(
                conn,
                &mut head,
                vec![Event::TokensIssued {
                    count: issued.len() as u64,
                    actor: actor.to_string(),
                }],
                now,
            )?;
        }
        Ok(issued)
    })
}

/// Who tells the member that their code was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    /// Queue a notice to the member's e-mail address (if any), in the same
    /// transaction: the code went to someone else's hands first (a letter,
    /// the command line).
    Member,
    /// The new code itself goes to the member's e-mail address, and says so.
    CodeGoesToMember,
}

/// Replace a member's token; the old one stops working. Refused once they
/// had voted as of the last seal (never by the live flag: the answer must
/// not tell staff about a vote cast since). Logged as `token_reissued`.
pub fn reissue_token(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    election: &str,
    member_id: &str,
    actor: &str,
    notify: Notify,
    now: i64,
) -> Result<IssuedToken, OpError> {
    write_tx(conn, |conn| {
        let (mut head, row) = lock_election(conn, election)?;
        let state = row.state()?;
        if state > State::Open {
            return Err(OpError::WrongState {
                action: "re-issuing a token",
                needed: "draft or open",
                actual: state,
            });
        }
        let member =
            members::find(conn, election, member_id)?.ok_or_else(|| OpError::NoSuchMember(member_id.to_string()))?;
        let token = Token::generate()?;
        if !members::set_token(conn, election, member_id, &secret.token_hash(token.as_str()))? {
            return Err(OpError::MemberVoted(member_id.to_string()));
        }
        let event = if member.token_hash.is_some() {
            Event::TokenReissued {
                member_ref: secret.member_ref(election, member_id),
                actor: actor.to_string(),
            }
        } else {
            Event::TokensIssued {
                count: 1,
                actor: actor.to_string(),
            }
        };
        logstore::append(conn, &mut head, vec![event], now)?;
        if notify == Notify::Member && !member.email.trim().is_empty() {
            let id = [member.member_id.clone()];
            crate::store::deliveries::queue(conn, election, crate::store::deliveries::NOTICE, &id, now)?;
        }
        Ok(IssuedToken {
            lang: member.lang(),
            member_id: member.member_id,
            name: member.name,
            email: member.email,
            token,
        })
    })
}

/// The link that carries a token: `{public_url}/v/{TOKEN}`.
pub fn voting_link(public_url: &str, token: &Token) -> String {
    format!("{}/v/{}", public_url.trim_end_matches('/'), token.as_str())
}

/// Write the mail-merge CSV: `member_id,name,email,token,link`, with
/// formula-like cells neutralised (see `domain::spreadsheet`).
pub fn write_tokens_csv<W: std::io::Write>(out: W, public_url: &str, issued: &[IssuedToken]) -> Result<(), csv::Error> {
    let mut w = CsvWriter::new(out);
    w.write_row(["member_id", "name", "email", "token", "link"])?;
    for t in issued {
        w.write_row([
            t.member_id.as_str(),
            t.name.as_str(),
            t.email.as_str(),
            t.token.grouped().as_str(),
            voting_link(public_url, &t.token).as_str(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
