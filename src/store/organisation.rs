//! The organisation's profile: one row for the instance (`id = 1`), with its
//! logo as Teller re-encoded it. `version` rises on every save, so that an
//! instance can tell cheaply whether its cached copy is current.

use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::organisation;
use crate::db::AnyConnection;

/// The one row's key.
const ROW: i64 = 1;

/// The profile as stored (without the logo's bytes).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = organisation)]
pub struct ProfileRow {
    /// The organisation's name, such as "Society of Pharmacy Technicians".
    pub name: String,
    /// Its short name, for page titles, such as "SPT".
    pub short_name: String,
    /// `#rrggbb`, checked for contrast when saved.
    pub primary_colour: String,
    /// `#rrggbb`, checked for contrast when saved.
    pub accent_colour: String,
    /// The election office's name.
    pub office_name: String,
    /// Its e-mail address.
    pub office_email: String,
    /// Its phone number (may be empty).
    pub office_phone: String,
    /// When it answers (may be empty).
    pub office_hours: String,
    /// The privacy notice (an https URL, or empty).
    pub privacy_url: String,
    /// The logo's width in pixels, when there is a logo.
    pub logo_width: Option<i64>,
    /// The logo's height in pixels, when there is a logo.
    pub logo_height: Option<i64>,
    /// Rises by one on every save.
    pub version: i64,
    /// When it was last saved (Unix seconds).
    pub updated_at: i64,
    /// Who last saved it (`staff:NAME`).
    pub updated_by: String,
}

/// What staff save: every text field (the logo is saved apart).
#[derive(Debug, Clone, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = organisation)]
pub struct ProfileFields {
    /// See [`ProfileRow`].
    pub name: String,
    /// See [`ProfileRow`].
    pub short_name: String,
    /// See [`ProfileRow`].
    pub primary_colour: String,
    /// See [`ProfileRow`].
    pub accent_colour: String,
    /// See [`ProfileRow`].
    pub office_name: String,
    /// See [`ProfileRow`].
    pub office_email: String,
    /// See [`ProfileRow`].
    pub office_phone: String,
    /// See [`ProfileRow`].
    pub office_hours: String,
    /// See [`ProfileRow`].
    pub privacy_url: String,
}

/// The stored logo: PNG bytes, its type and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogo {
    /// The bytes as re-encoded.
    pub bytes: Vec<u8>,
    /// Its media type (`image/png`).
    pub mime: String,
}

/// The profile, if one was ever saved.
pub fn get(conn: &mut AnyConnection) -> Result<Option<ProfileRow>, StoreError> {
    Ok(organisation::table
        .find(ROW)
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()?)
}

/// The saved version, if any: what instances compare with their copy.
pub fn version(conn: &mut AnyConnection) -> Result<Option<i64>, StoreError> {
    Ok(organisation::table
        .find(ROW)
        .select(organisation::version)
        .first(conn)
        .optional()?)
}

/// The logo, if there is one.
pub fn logo(conn: &mut AnyConnection) -> Result<Option<StoredLogo>, StoreError> {
    let row: Option<(Option<Vec<u8>>, Option<String>)> = organisation::table
        .find(ROW)
        .select((organisation::logo, organisation::logo_mime))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((Some(bytes), Some(mime))) => Some(StoredLogo { bytes, mime }),
        _ => None,
    })
}

/// Save the text fields (creating the row on the first save); returns the
/// new version. The caller holds a write transaction.
pub fn save(conn: &mut AnyConnection, fields: &ProfileFields, actor: &str, now: i64) -> Result<i64, StoreError> {
    let version = match version(conn)? {
        Some(v) => {
            diesel::update(organisation::table.find(ROW))
                .set((
                    fields,
                    organisation::version.eq(v + 1),
                    organisation::updated_at.eq(now),
                    organisation::updated_by.eq(actor),
                ))
                .execute(conn)?;
            v + 1
        }
        None => {
            diesel::insert_into(organisation::table)
                .values((
                    organisation::id.eq(ROW),
                    organisation::name.eq(&fields.name),
                    organisation::short_name.eq(&fields.short_name),
                    organisation::primary_colour.eq(&fields.primary_colour),
                    organisation::accent_colour.eq(&fields.accent_colour),
                    organisation::office_name.eq(&fields.office_name),
                    organisation::office_email.eq(&fields.office_email),
                    organisation::office_phone.eq(&fields.office_phone),
                    organisation::office_hours.eq(&fields.office_hours),
                    organisation::privacy_url.eq(&fields.privacy_url),
                    organisation::version.eq(1i64),
                    organisation::updated_at.eq(now),
                    organisation::updated_by.eq(actor),
                ))
                .execute(conn)?;
            1
        }
    };
    Ok(version)
}

/// Set or remove the logo on the saved profile; returns the new version,
/// or `None` when no profile is saved yet. The caller holds a write
/// transaction.
pub fn set_logo(
    conn: &mut AnyConnection,
    logo: Option<(&[u8], u32, u32)>,
    actor: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let Some(v) = version(conn)? else {
        return Ok(None);
    };
    let (bytes, mime, width, height) = match logo {
        Some((bytes, w, h)) => (
            Some(bytes.to_vec()),
            Some("image/png".to_string()),
            Some(i64::from(w)),
            Some(i64::from(h)),
        ),
        None => (None, None, None, None),
    };
    diesel::update(organisation::table.find(ROW))
        .set((
            organisation::logo.eq(bytes),
            organisation::logo_mime.eq(mime),
            organisation::logo_width.eq(width),
            organisation::logo_height.eq(height),
            organisation::version.eq(v + 1),
            organisation::updated_at.eq(now),
            organisation::updated_by.eq(actor),
        ))
        .execute(conn)?;
    Ok(Some(v + 1))
}
