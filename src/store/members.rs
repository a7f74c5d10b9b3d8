//! The member roll and its tokens (stored only as keyed hashes).

use diesel::connection::SimpleConnection;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::members;
use crate::db::AnyConnection;
use crate::domain::roll::RollMember;

/// A member as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = members)]
pub struct MemberRow {
    /// The organisation's member id.
    pub member_id: String,
    /// Name.
    pub name: String,
    /// E-mail (may be empty).
    pub email: String,
    /// Keyed hash of the current token.
    pub token_hash: Option<String>,
    /// Has cast a ballot.
    pub voted: bool,
    /// Has cast a ballot, as of the last seal.
    pub voted_sealed: bool,
    /// Vote weight (decimal text).
    pub weight: String,
    /// The member's language (`en`, `es`), empty when the roll did not say.
    pub language: String,
}

impl MemberRow {
    /// The language the member's messages and letters are written in.
    pub fn lang(&self) -> crate::i18n::Lang {
        crate::i18n::Lang::from_code(&self.language).unwrap_or_default()
    }
}

/// Member ids among `ids` already on the roll.
pub fn existing_ids(conn: &mut AnyConnection, election: &str, ids: &[String]) -> Result<Vec<String>, StoreError> {
    let mut found = Vec::new();
    // Keep each query's parameter list well under both backends' limits.
    for chunk in ids.chunks(500) {
        let mut part: Vec<String> = members::table
            .filter(members::election_id.eq(election))
            .filter(members::member_id.eq_any(chunk))
            .select(members::member_id)
            .load(conn)?;
        found.append(&mut part);
    }
    Ok(found)
}

/// Add members to the roll. On PostgreSQL many to a statement (a statement
/// per member would cost a round trip each); SQLite is in process.
pub fn insert_all(conn: &mut AnyConnection, election: &str, roll: &[RollMember]) -> Result<(), StoreError> {
    let value = |m: &RollMember| {
        (
            members::election_id.eq(election.to_string()),
            members::member_id.eq(m.member_id.clone()),
            members::name.eq(m.name.clone()),
            members::email.eq(m.email.clone()),
            members::weight.eq(m.weight.to_string()),
            members::language.eq(m.language.map_or("", |l| l.code())),
        )
    };
    match conn {
        AnyConnection::Postgresql(pg) => {
            // 6 parameters a row: well under PostgreSQL's 65,535.
            for chunk in roll.chunks(1000) {
                let values: Vec<_> = chunk.iter().map(value).collect();
                diesel::insert_into(members::table).values(values).execute(pg)?;
            }
        }
        AnyConnection::Sqlite(lite) => {
            for m in roll {
                diesel::insert_into(members::table).values(value(m)).execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Members without a token, by member id.
pub fn without_token(conn: &mut AnyConnection, election: &str) -> Result<Vec<MemberRow>, StoreError> {
    Ok(members::table
        .filter(members::election_id.eq(election))
        .filter(members::token_hash.is_null())
        .order(members::member_id)
        .select(MemberRow::as_select())
        .load(conn)?)
}

/// Members with no e-mail address who had not voted as of the last seal
/// (letters go to them). Staff choose by the sealed flag only, so that what
/// they do and see never moves with a vote cast since the last seal.
pub fn without_email(conn: &mut AnyConnection, election: &str) -> Result<Vec<MemberRow>, StoreError> {
    Ok(members::table
        .filter(members::election_id.eq(election))
        .filter(members::email.eq(""))
        .filter(members::voted_sealed.eq(false))
        .order(members::member_id)
        .select(MemberRow::as_select())
        .load(conn)?)
}

/// One member.
pub fn find(conn: &mut AnyConnection, election: &str, member_id: &str) -> Result<Option<MemberRow>, StoreError> {
    Ok(members::table
        .find((election, member_id))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()?)
}

/// Give a member a token (replacing any earlier one) unless they had voted
/// as of the last seal. Returns whether a row changed.
///
/// A member who has voted since the last seal gets the new token like
/// anyone else (refusing would tell staff they voted): it cannot cast, since
/// the member is marked as having voted, and answers "already used".
pub fn set_token(conn: &mut AnyConnection, election: &str, member_id: &str, hash: &str) -> Result<bool, StoreError> {
    let n = diesel::update(members::table.find((election, member_id)))
        .filter(members::voted_sealed.eq(false))
        .set(members::token_hash.eq(Some(hash)))
        .execute(conn)?;
    Ok(n == 1)
}

/// What a token hash is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenStatus {
    /// No member holds it.
    Unknown,
    /// Valid for `election`; `voted` says whether it has been used.
    Known {
        /// The election it belongs to.
        election: String,
        /// Whether it has been used.
        voted: bool,
    },
}

/// The language the roll gives the member holding a token, if it gives one.
pub fn language_of_token(conn: &mut AnyConnection, hash: &str) -> Result<Option<crate::i18n::Lang>, StoreError> {
    let code: Option<String> = members::table
        .filter(members::token_hash.eq(hash))
        .select(members::language)
        .first(conn)
        .optional()?;
    Ok(code.as_deref().and_then(crate::i18n::Lang::from_code))
}

/// Look a token hash up.
pub fn token_status(conn: &mut AnyConnection, hash: &str) -> Result<TokenStatus, StoreError> {
    let row: Option<(String, bool)> = members::table
        .filter(members::token_hash.eq(hash))
        .select((members::election_id, members::voted))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => TokenStatus::Unknown,
        Some((election, voted)) => TokenStatus::Known { election, voted },
    })
}

/// Wait until no other transaction holds the row of this token, so that
/// what is read next is the outcome of any cast that was committing it.
///
/// A cast whose connection was cut during COMMIT may still be committing
/// on the server (a slow disk); until it finishes it holds the row it
/// marked used. PostgreSQL: `FOR UPDATE` waits for that, bounded by a
/// `lock_timeout` (an error then, and the caller asks again later). SQLite:
/// nothing to wait for (an embedded database has no connection to lose,
/// and `BEGIN IMMEDIATE` already excludes every other writer).
pub fn wait_for_token(conn: &mut AnyConnection, election: &str, hash: &str) -> Result<(), StoreError> {
    if let AnyConnection::Postgresql(pg) = conn {
        pg.batch_execute("SET LOCAL lock_timeout = '5s'")?;
        diesel::sql_query("SELECT 1 FROM members WHERE election_id = $1 AND token_hash = $2 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(election)
            .bind::<diesel::sql_types::Text, _>(hash)
            .execute(pg)?;
    }
    Ok(())
}

/// The weight of the member holding a used token of `election` (`None` if
/// no member of that election holds it, or it is unused). Only for finding
/// out whether a cast whose commit failed was stored after all.
pub fn weight_of_used_token(
    conn: &mut AnyConnection,
    election: &str,
    hash: &str,
) -> Result<Option<String>, StoreError> {
    Ok(members::table
        .filter(members::election_id.eq(election))
        .filter(members::token_hash.eq(hash))
        .filter(members::voted.eq(true))
        .select(members::weight)
        .first(conn)
        .optional()?)
}

/// The weight (decimal text) of the member of `election` holding this
/// unused token, if any: an encrypted ballot carries it (FORMAT.md §4), so
/// the ballot page hands it to the member's device.
pub fn weight_of_token(conn: &mut AnyConnection, election: &str, hash: &str) -> Result<Option<String>, StoreError> {
    Ok(members::table
        .filter(members::election_id.eq(election))
        .filter(members::token_hash.eq(hash))
        .filter(members::voted.eq(false))
        .select(members::weight)
        .first(conn)
        .optional()?)
}

/// Whether the member holding this (unused) token of `election` has an
/// e-mail address on the roll (the review page offers a confirmation only
/// then).
pub fn token_has_email(conn: &mut AnyConnection, election: &str, hash: &str) -> Result<bool, StoreError> {
    let email: Option<String> = members::table
        .filter(members::election_id.eq(election))
        .filter(members::token_hash.eq(hash))
        .select(members::email)
        .first(conn)
        .optional()?;
    Ok(email.is_some_and(|e| !e.trim().is_empty()))
}

/// Mark the token used, if it is unused: the one atomic step that makes a
/// token cast at most one ballot, whatever the concurrency.
pub fn consume(conn: &mut AnyConnection, election: &str, hash: &str) -> Result<bool, StoreError> {
    let n = diesel::update(members::table)
        .filter(members::election_id.eq(election))
        .filter(members::token_hash.eq(hash))
        .filter(members::voted.eq(false))
        .set(members::voted.eq(true))
        .execute(conn)?;
    Ok(n == 1)
}

/// Give back a token consumed earlier in the same transaction (an
/// encrypted ballot whose weight is not the member's): as if the cast had
/// never begun.
pub fn unconsume(conn: &mut AnyConnection, election: &str, hash: &str) -> Result<(), StoreError> {
    diesel::update(members::table)
        .filter(members::election_id.eq(election))
        .filter(members::token_hash.eq(hash))
        .filter(members::voted.eq(true))
        .set(members::voted.eq(false))
        .execute(conn)?;
    Ok(())
}

/// The member whose token a cast consumed.
#[derive(Debug, Clone, QueryableByName)]
pub struct Consumed {
    /// Their vote weight.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub weight: String,
    /// Their member id (used only for a confirmation they asked for).
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub member_id: String,
    /// Their e-mail address ("" if none).
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub email: String,
}

/// Mark the token used if it is unused, in one statement, returning the
/// member's vote weight (and who they are, for a confirmation); `None` if
/// nothing changed (used, replaced, unknown or another election's). The one
/// atomic step that makes a token cast at most one ballot, whatever the
/// concurrency.
pub fn consume_returning_weight(
    conn: &mut AnyConnection,
    election: &str,
    hash: &str,
) -> Result<Option<Consumed>, StoreError> {
    let rows: Vec<Consumed> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "UPDATE members SET voted = TRUE WHERE election_id = $1 AND token_hash = $2 AND voted = FALSE RETURNING weight, member_id, email",
        )
        .bind::<diesel::sql_types::Text, _>(election)
        .bind::<diesel::sql_types::Text, _>(hash)
        .load(pg)?,
        AnyConnection::Sqlite(lite) => diesel::sql_query(
            "UPDATE members SET voted = TRUE WHERE election_id = ? AND token_hash = ? AND voted = FALSE RETURNING weight, member_id, email",
        )
        .bind::<diesel::sql_types::Text, _>(election)
        .bind::<diesel::sql_types::Text, _>(hash)
        .load(lite)?,
    };
    Ok(rows.into_iter().next())
}

/// At a seal: those who have voted become visible as having voted.
pub fn reveal_voted(conn: &mut AnyConnection, election: &str) -> Result<usize, StoreError> {
    Ok(diesel::update(members::table)
        .filter(members::election_id.eq(election))
        .filter(members::voted.eq(true))
        .filter(members::voted_sealed.eq(false))
        .set(members::voted_sealed.eq(true))
        .execute(conn)?)
}

/// Figures about the roll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollCounts {
    /// Members on the roll.
    pub members: u64,
    /// Members holding a token.
    pub tokens_issued: u64,
    /// Tokens used.
    pub voted: u64,
    /// Tokens used, as of the last seal.
    pub voted_sealed: u64,
}

/// Count the roll (once its personal data is purged, the figures as they
/// were before).
pub fn counts(conn: &mut AnyConnection, election: &str) -> Result<RollCounts, StoreError> {
    if let Some(purge) = super::purges::get(conn, election)? {
        return Ok(purge.counts());
    }
    let base = || members::table.filter(members::election_id.eq(election));
    let n = |q: i64| q.max(0) as u64;
    Ok(RollCounts {
        members: n(base().select(count_star()).first(conn)?),
        tokens_issued: n(base()
            .filter(members::token_hash.is_not_null())
            .select(count_star())
            .first(conn)?),
        voted: n(base()
            .filter(members::voted.eq(true))
            .select(count_star())
            .first(conn)?),
        voted_sealed: n(base()
            .filter(members::voted_sealed.eq(true))
            .select(count_star())
            .first(conn)?),
    })
}

/// Members on the roll.
pub fn count(conn: &mut AnyConnection, election: &str) -> Result<u64, StoreError> {
    if let Some(purge) = super::purges::get(conn, election)? {
        return Ok(purge.counts().members);
    }
    let n: i64 = members::table
        .filter(members::election_id.eq(election))
        .select(count_star())
        .first(conn)?;
    Ok(n.max(0) as u64)
}

/// Members holding a token.
pub fn tokens_issued(conn: &mut AnyConnection, election: &str) -> Result<u64, StoreError> {
    if let Some(purge) = super::purges::get(conn, election)? {
        return Ok(purge.counts().tokens_issued);
    }
    let n: i64 = members::table
        .filter(members::election_id.eq(election))
        .filter(members::token_hash.is_not_null())
        .select(count_star())
        .first(conn)?;
    Ok(n.max(0) as u64)
}
