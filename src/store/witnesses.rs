//! The witnesses an election names (audit/FORMAT.md §6b), how far each has
//! co-signed its log, and the cosignature lines they returned.

use diesel::prelude::*;
use teller_audit::crypto::PublicKey;
use teller_audit::log::Witness;

use super::{corrupt, StoreError};
use crate::db::schema::{cosignatures, witnesses};
use crate::db::AnyConnection;

/// A witness with where it has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessStatus {
    /// The witness as the policy names it.
    pub witness: Witness,
    /// The largest checkpoint size it co-signed for this election (0: none).
    pub cosigned_size: u64,
    /// When it last co-signed.
    pub cosigned_at: Option<i64>,
    /// When a submission was last tried.
    pub attempted_at: Option<i64>,
    /// Why the latest submission failed, if it did.
    pub last_error: Option<String>,
}

type Row = (String, String, String, i64, Option<i64>, Option<i64>, Option<String>);

fn status_of(row: Row) -> Result<WitnessStatus, StoreError> {
    let (name, key, url, size, cosigned_at, attempted_at, last_error) = row;
    let key = PublicKey::from_hex(&key).map_err(|_| corrupt(format!("witness {name}: key {key:?}")))?;
    Ok(WitnessStatus {
        witness: Witness { name, key, url },
        cosigned_size: u64::try_from(size).unwrap_or(0),
        cosigned_at,
        attempted_at,
        last_error,
    })
}

/// The election's witnesses in policy order, with their progress, and the
/// quorum (0 and no witnesses when it names none).
pub fn policy(conn: &mut AnyConnection, election: &str) -> Result<(Vec<WitnessStatus>, u32), StoreError> {
    let rows: Vec<(Row, i64)> = witnesses::table
        .filter(witnesses::election_id.eq(election))
        .order(witnesses::position.asc())
        .select((
            (
                witnesses::name,
                witnesses::public_key,
                witnesses::url,
                witnesses::cosigned_size,
                witnesses::cosigned_at,
                witnesses::attempted_at,
                witnesses::last_error,
            ),
            witnesses::quorum,
        ))
        .load(conn)?;
    let quorum = rows.first().map_or(0, |(_, q)| u32::try_from(*q).unwrap_or(0));
    let list = rows.into_iter().map(|(r, _)| status_of(r)).collect::<Result<_, _>>()?;
    Ok((list, quorum))
}

/// Replace the election's witnesses and quorum (the caller checks the
/// election is a draft and the policy sound).
pub fn set_policy(conn: &mut AnyConnection, election: &str, list: &[Witness], quorum: u32) -> Result<(), StoreError> {
    diesel::delete(witnesses::table.filter(witnesses::election_id.eq(election))).execute(conn)?;
    for (i, w) in list.iter().enumerate() {
        diesel::insert_into(witnesses::table)
            .values((
                witnesses::election_id.eq(election),
                witnesses::name.eq(&w.name),
                witnesses::position.eq(i as i64),
                witnesses::public_key.eq(w.key.to_hex()),
                witnesses::url.eq(&w.url),
                witnesses::quorum.eq(i64::from(quorum)),
                witnesses::cosigned_size.eq(0i64),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Elections that name witnesses, with their ids.
pub fn elections_with_witnesses(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    Ok(witnesses::table.select(witnesses::election_id).distinct().load(conn)?)
}

/// The witness `name` co-signed the checkpoint of `size` with `line`. Its
/// progress only moves forward (another instance may have recorded a later
/// one).
pub fn record_cosigned(
    conn: &mut AnyConnection,
    election: &str,
    name: &str,
    size: u64,
    line: &str,
    now: i64,
) -> Result<(), StoreError> {
    let size = size as i64;
    let exists: i64 = cosignatures::table
        .filter(cosignatures::election_id.eq(election))
        .filter(cosignatures::size.eq(size))
        .filter(cosignatures::name.eq(name))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(cosignatures::table)
            .values((
                cosignatures::election_id.eq(election),
                cosignatures::size.eq(size),
                cosignatures::name.eq(name),
                cosignatures::line.eq(line),
            ))
            .execute(conn)?;
    }
    diesel::update(
        witnesses::table
            .filter(witnesses::election_id.eq(election))
            .filter(witnesses::name.eq(name))
            .filter(witnesses::cosigned_size.lt(size)),
    )
    .set((witnesses::cosigned_size.eq(size), witnesses::cosigned_at.eq(Some(now))))
    .execute(conn)?;
    diesel::update(
        witnesses::table
            .filter(witnesses::election_id.eq(election))
            .filter(witnesses::name.eq(name)),
    )
    .set((
        witnesses::attempted_at.eq(Some(now)),
        witnesses::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(())
}

/// A submission to witness `name` failed with `error`.
pub fn record_error(
    conn: &mut AnyConnection,
    election: &str,
    name: &str,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    diesel::update(
        witnesses::table
            .filter(witnesses::election_id.eq(election))
            .filter(witnesses::name.eq(name)),
    )
    .set((
        witnesses::attempted_at.eq(Some(now)),
        witnesses::last_error.eq(Some(error)),
    ))
    .execute(conn)?;
    Ok(())
}

/// The cosignature lines of the checkpoint of `size`, in witness-name order.
pub fn lines(conn: &mut AnyConnection, election: &str, size: u64) -> Result<Vec<String>, StoreError> {
    Ok(cosignatures::table
        .filter(cosignatures::election_id.eq(election))
        .filter(cosignatures::size.eq(size as i64))
        .order(cosignatures::name.asc())
        .select(cosignatures::line)
        .load(conn)?)
}

/// The largest size, at least `min`, that at least `quorum` witnesses
/// co-signed; `None` when none has.
pub fn largest_cosigned(
    conn: &mut AnyConnection,
    election: &str,
    min: u64,
    quorum: u32,
) -> Result<Option<u64>, StoreError> {
    let sizes: Vec<i64> = cosignatures::table
        .filter(cosignatures::election_id.eq(election))
        .filter(cosignatures::size.ge(min as i64))
        .select(cosignatures::size)
        .order(cosignatures::size.desc())
        .load(conn)?;
    let mut best = None;
    let mut i = 0;
    while i < sizes.len() {
        let run = sizes[i..].iter().take_while(|s| **s == sizes[i]).count();
        if run as u64 >= u64::from(quorum.max(1)) {
            best = Some(sizes[i] as u64);
            break;
        }
        i += run;
    }
    Ok(best)
}

/// Delete a draft's witnesses (with the draft).
pub fn delete_election(conn: &mut AnyConnection, election: &str) -> Result<(), StoreError> {
    diesel::delete(cosignatures::table.filter(cosignatures::election_id.eq(election))).execute(conn)?;
    diesel::delete(witnesses::table.filter(witnesses::election_id.eq(election))).execute(conn)?;
    Ok(())
}
