//! The organisation's profile as pages, messages and letters use it: its
//! name, logo, colours, contact and privacy notice, set once in the console
//! (`/staff/organisation`, `store::organisation`).
//!
//! Precedence of the contact: the saved profile's office, once a profile is
//! saved; until then the `teller serve --office-*` flags (`office.rs`), which
//! also fill the console's form the first time. Without a profile, pages
//! look as they always did ("Teller" in the header and title).
//!
//! Each instance keeps the profile in memory ([`Cache`], held by the web
//! state): loaded at start-up, replaced at once by the instance that saves
//! it, and compared every [`REFRESH`] with the database's `version` (one
//! small query), so that instances sharing one PostgreSQL database follow a
//! change within that time. Rendering reads the copy of the request being
//! served ([`current`]), set around every request by `web::brand::scope`.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;

use crate::db::AnyConnection;
use crate::domain::brand::Colour;
use crate::office::Office;
use crate::store::organisation as store;
use crate::store::StoreError;

/// How often an instance checks whether another one saved a new profile.
pub const REFRESH: Duration = Duration::from_secs(10);

/// The profile in effect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organisation {
    /// The saved profile, if any.
    pub profile: Option<store::ProfileRow>,
    /// The logo's PNG bytes, if a logo is saved.
    pub logo: Option<Arc<Vec<u8>>>,
}

impl Organisation {
    /// Read the profile and its logo.
    pub fn load(conn: &mut AnyConnection) -> Result<Self, StoreError> {
        let profile = store::get(conn)?;
        let logo = match &profile {
            Some(p) if p.logo_width.is_some() => store::logo(conn)?.map(|l| Arc::new(l.bytes)),
            _ => None,
        };
        Ok(Organisation { profile, logo })
    }

    /// Read the profile without the logo (for messages, which carry none).
    pub fn load_text(conn: &mut AnyConnection) -> Result<Self, StoreError> {
        Ok(Organisation {
            profile: store::get(conn)?,
            logo: None,
        })
    }

    /// The saved version (0 with no profile).
    pub fn version(&self) -> i64 {
        self.profile.as_ref().map_or(0, |p| p.version)
    }

    /// Whether a profile is saved (pages then carry its look).
    pub fn branded(&self) -> bool {
        self.profile.is_some()
    }

    /// The organisation's name ("Teller" with no profile).
    pub fn name(&self) -> &str {
        self.profile.as_ref().map_or("Teller", |p| p.name.as_str())
    }

    /// The election office members are told to contact: the profile's,
    /// else the one given to `teller serve`.
    pub fn office(&self) -> Option<Office> {
        match &self.profile {
            Some(p) => Some(Office {
                name: p.office_name.clone(),
                email: p.office_email.clone(),
                phone: p.office_phone.clone(),
                hours: p.office_hours.clone(),
            }),
            None => crate::office::get().cloned(),
        }
    }

    /// Who messages and letters are from: the office's name, and the
    /// organisation's when it differs.
    pub fn sign_off(&self) -> String {
        let office = self.office().map(|o| o.name);
        match (&self.profile, office) {
            (Some(p), Some(office)) if office != p.name => format!("{office}\n{}", p.name),
            (_, Some(office)) => office,
            (_, None) => "The Election Office".into(),
        }
    }

    /// What templates see as `brand`.
    pub fn view(&self) -> BrandView {
        let p = self.profile.as_ref();
        BrandView {
            branded: self.branded(),
            name: self.name().to_string(),
            short_name: p.map_or("Teller", |p| p.short_name.as_str()).to_string(),
            version: self.version(),
            logo: p.and_then(|p| match (p.logo_width, p.logo_height) {
                (Some(width), Some(height)) if self.logo.is_some() => Some(LogoView { width, height }),
                _ => None,
            }),
            privacy_url: p.map(|p| p.privacy_url.clone()).filter(|u| !u.is_empty()),
            sign_off: self.sign_off().lines().map(str::to_string).collect(),
        }
    }

    /// The stylesheet that applies the colours (`/brand.css`): custom
    /// properties that static/teller.css reads; empty with no profile.
    pub fn stylesheet(&self) -> String {
        let Some(p) = &self.profile else {
            return "/* No organisation profile: teller.css's own colours. */\n".into();
        };
        // Saved colours were checked; a stored value that does not parse
        // (edited by hand) falls back to teller.css's own.
        let (Some(primary), Some(accent)) = (Colour::parse(&p.primary_colour), Colour::parse(&p.accent_colour)) else {
            return "/* The stored colours are not #rrggbb: teller.css's own. */\n".into();
        };
        format!(
            "/* {name}: set in the console (/staff/organisation), version {version}. */\n\
             :root {{ --brand: {primary}; --brand-dark: {dark}; --brand-accent: {accent}; }}\n",
            name = p.name.replace("*/", ""),
            version = p.version,
            dark = primary.darker(0.25),
        )
    }
}

/// The profile as templates see it (`{{brand.name}}` and so on).
#[derive(Debug, Clone, Serialize)]
pub struct BrandView {
    /// Whether a profile is saved.
    pub branded: bool,
    /// The organisation's name (header, letters, logo's alt text).
    pub name: String,
    /// Its short name (page titles).
    pub short_name: String,
    /// Cache-busting version for `/brand.css` and the logo.
    pub version: i64,
    /// The logo's size, when there is one.
    pub logo: Option<LogoView>,
    /// The privacy notice's address, when given.
    pub privacy_url: Option<String>,
    /// Who letters are from, a line each.
    pub sign_off: Vec<String>,
}

/// The logo's size, for the `<img>`'s width and height.
#[derive(Debug, Clone, Serialize)]
pub struct LogoView {
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
}

/// An instance's copy of the profile.
#[derive(Debug, Default)]
pub struct Cache {
    current: RwLock<Arc<Organisation>>,
}

impl Cache {
    /// The copy in memory.
    pub fn get(&self) -> Arc<Organisation> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replace the copy.
    pub fn set(&self, organisation: Organisation) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(organisation);
    }
}

tokio::task_local! {
    static CURRENT: Arc<Organisation>;
}

/// The profile of the request being served (set by `web::brand::scope`);
/// outside a request, no profile (the serve flags' office only).
pub fn current() -> Arc<Organisation> {
    CURRENT
        .try_with(Arc::clone)
        .unwrap_or_else(|_| Arc::new(Organisation::default()))
}

/// Run `f` with `organisation` as [`current`].
pub async fn scope<F: std::future::Future>(organisation: Arc<Organisation>, f: F) -> F::Output {
    CURRENT.scope(organisation, f).await
}
