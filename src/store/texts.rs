//! The election's own texts in other languages (`election_texts`), entered
//! in the builder while the election is a draft; see `domain::texts`.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::election_texts;
use crate::db::AnyConnection;
use crate::i18n::Lang;

/// The texts of `election` in `lang`, by key (empty for English, the
/// definition's own language).
pub fn load(conn: &mut AnyConnection, election: &str, lang: Lang) -> Result<BTreeMap<String, String>, StoreError> {
    if lang == Lang::En {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<(String, String)> = election_texts::table
        .filter(election_texts::election_id.eq(election))
        .filter(election_texts::lang.eq(lang.code()))
        .select((election_texts::text_key, election_texts::body))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Replace every text of `election` in `lang` with `texts` (empty ones are
/// left out: the original shows instead).
pub fn save(
    conn: &mut AnyConnection,
    election: &str,
    lang: Lang,
    texts: &BTreeMap<String, String>,
) -> Result<(), StoreError> {
    diesel::delete(
        election_texts::table
            .filter(election_texts::election_id.eq(election))
            .filter(election_texts::lang.eq(lang.code())),
    )
    .execute(conn)?;
    for (key, body) in texts.iter().filter(|(_, b)| !b.trim().is_empty()) {
        diesel::insert_into(election_texts::table)
            .values((
                election_texts::election_id.eq(election),
                election_texts::lang.eq(lang.code()),
                election_texts::text_key.eq(key),
                election_texts::body.eq(body.trim()),
            ))
            .execute(conn)?;
    }
    Ok(())
}
