//! The `candidate_profiles` table: each candidate's optional photo and
//! longer profile (presentation only; never in the definition, log or
//! record). Written by `ops::profiles` while the election is a draft.

use diesel::prelude::*;

use super::{corrupt, StoreError};
use crate::db::schema::candidate_profiles as profiles;
use crate::db::AnyConnection;
use crate::domain::photo::{Kind, Photo};

/// Which candidate: election, contest and candidate ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CandidateKey {
    /// The election.
    pub election: String,
    /// The contest's id in the definition.
    pub contest: String,
    /// The candidate's id in the contest.
    pub candidate: String,
}

/// What pages need to know of a candidate's profile, without the photo.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// The photo's digest (its URL's version), if there is a photo.
    pub photo: Option<String>,
    /// The longer profile text ("" when none).
    pub profile: String,
}

/// A stored photo with its digest.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    /// The picture.
    pub photo: Photo,
    /// Its digest, as in its URL.
    pub digest: String,
}

type SummaryRow = (String, String, Option<String>, String);

/// Every candidate of `election` with a photo or a profile, by (contest,
/// candidate).
pub fn summaries(
    conn: &mut AnyConnection,
    election: &str,
) -> Result<std::collections::BTreeMap<(String, String), Summary>, StoreError> {
    let rows: Vec<SummaryRow> = profiles::table
        .filter(profiles::election_id.eq(election))
        .select((
            profiles::contest_id,
            profiles::candidate_id,
            profiles::photo_digest,
            profiles::profile,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(contest, candidate, photo, profile)| ((contest, candidate), Summary { photo, profile }))
        .collect())
}

/// One candidate's summary, if stored.
pub fn summary(conn: &mut AnyConnection, key: &CandidateKey) -> Result<Option<Summary>, StoreError> {
    let row: Option<(Option<String>, String)> = profiles::table
        .find((&key.election, &key.contest, &key.candidate))
        .select((profiles::photo_digest, profiles::profile))
        .first(conn)
        .optional()?;
    Ok(row.map(|(photo, profile)| Summary { photo, profile }))
}

type PhotoRow = (
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

/// One candidate's photo, if they have one.
pub fn photo(conn: &mut AnyConnection, key: &CandidateKey) -> Result<Option<StoredPhoto>, StoreError> {
    let row: Option<PhotoRow> = profiles::table
        .find((&key.election, &key.contest, &key.candidate))
        .select((
            profiles::photo,
            profiles::photo_type,
            profiles::photo_digest,
            profiles::width,
            profiles::height,
        ))
        .first(conn)
        .optional()?;
    let Some((Some(bytes), Some(mime), Some(digest), Some(width), Some(height))) = row else {
        return Ok(None);
    };
    let bad = || {
        corrupt(format!(
            "candidate photo {}/{}/{}",
            key.election, key.contest, key.candidate
        ))
    };
    Ok(Some(StoredPhoto {
        photo: Photo {
            bytes,
            kind: Kind::of_mime(&mime).ok_or_else(bad)?,
            width: u32::try_from(width).map_err(|_| bad())?,
            height: u32::try_from(height).map_err(|_| bad())?,
        },
        digest,
    }))
}

fn exists(conn: &mut AnyConnection, key: &CandidateKey) -> Result<bool, StoreError> {
    Ok(profiles::table
        .find((&key.election, &key.contest, &key.candidate))
        .select(profiles::updated_at)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

fn insert_blank(conn: &mut AnyConnection, key: &CandidateKey, now: i64) -> Result<(), StoreError> {
    diesel::insert_into(profiles::table)
        .values((
            profiles::election_id.eq(&key.election),
            profiles::contest_id.eq(&key.contest),
            profiles::candidate_id.eq(&key.candidate),
            profiles::profile.eq(""),
            profiles::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Store `photo` as the candidate's, replacing any other. The caller holds
/// the election's lock (the row is read, then written).
pub fn set_photo(conn: &mut AnyConnection, key: &CandidateKey, photo: &Photo, now: i64) -> Result<(), StoreError> {
    if !exists(conn, key)? {
        insert_blank(conn, key, now)?;
    }
    diesel::update(profiles::table.find((&key.election, &key.contest, &key.candidate)))
        .set((
            profiles::photo.eq(Some(&photo.bytes)),
            profiles::photo_type.eq(Some(photo.kind.mime())),
            profiles::photo_digest.eq(Some(photo.digest())),
            profiles::width.eq(Some(i64::from(photo.width))),
            profiles::height.eq(Some(i64::from(photo.height))),
            profiles::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Remove the candidate's photo (keeping their profile). Whether there was one.
pub fn remove_photo(conn: &mut AnyConnection, key: &CandidateKey, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        profiles::table
            .find((&key.election, &key.contest, &key.candidate))
            .filter(profiles::photo.is_not_null()),
    )
    .set((
        profiles::photo.eq(None::<Vec<u8>>),
        profiles::photo_type.eq(None::<String>),
        profiles::photo_digest.eq(None::<String>),
        profiles::width.eq(None::<i64>),
        profiles::height.eq(None::<i64>),
        profiles::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Set the candidate's profile text. The caller holds the election's lock.
pub fn set_profile(conn: &mut AnyConnection, key: &CandidateKey, text: &str, now: i64) -> Result<(), StoreError> {
    if !exists(conn, key)? {
        insert_blank(conn, key, now)?;
    }
    diesel::update(profiles::table.find((&key.election, &key.contest, &key.candidate)))
        .set((profiles::profile.eq(text), profiles::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Delete the rows of candidates `keep` does not list (they were removed
/// from the draft, or their contest was). Returns how many were deleted.
pub fn prune(conn: &mut AnyConnection, election: &str, keep: &[(String, String)]) -> Result<usize, StoreError> {
    let stored: Vec<(String, String)> = profiles::table
        .filter(profiles::election_id.eq(election))
        .select((profiles::contest_id, profiles::candidate_id))
        .load(conn)?;
    let mut deleted = 0;
    for (contest, candidate) in stored {
        if !keep.iter().any(|(c, k)| *c == contest && *k == candidate) {
            deleted += diesel::delete(profiles::table.find((election, &contest, &candidate))).execute(conn)?;
        }
    }
    Ok(deleted)
}

/// Delete every row of `election` (the draft is deleted).
pub fn delete_election(conn: &mut AnyConnection, election: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(profiles::table.filter(profiles::election_id.eq(election))).execute(conn)?)
}
