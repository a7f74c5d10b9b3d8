//! The election office members are told to contact: its name, e-mail,
//! phone and hours, set once for the instance (`teller serve --office-*`)
//! and shown on every page and in every message — until an administrator
//! saves the organisation's profile, whose contact then takes precedence
//! (`crate::organisation`).

use std::sync::OnceLock;

use serde::Serialize;

/// How members reach the election office.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Office {
    /// Its name, such as "Election Office, Society of Pharmacy Technicians".
    pub name: String,
    /// Its e-mail address.
    pub email: String,
    /// Its phone number (may be empty).
    pub phone: String,
    /// When it answers (may be empty), such as "Monday to Friday, 9:00–17:00".
    pub hours: String,
}

impl Office {
    /// The office in one line: "NAME, EMAIL, PHONE (HOURS)".
    pub fn line(&self) -> String {
        let mut out = format!("{}, {}", self.name, self.email);
        if !self.phone.is_empty() {
            out.push_str(&format!(", {}", self.phone));
        }
        if !self.hours.is_empty() {
            out.push_str(&format!(" ({})", self.hours));
        }
        out
    }

    /// Check what staff gave: a name and an e-mail address at least.
    pub fn checked(self) -> Result<Self, String> {
        let clean = |s: String| s.trim().to_string();
        let office = Office {
            name: clean(self.name),
            email: clean(self.email),
            phone: clean(self.phone),
            hours: clean(self.hours),
        };
        if office.name.is_empty() || office.email.is_empty() {
            return Err("give the election office's name and e-mail address (--office-name, --office-email)".into());
        }
        if !crate::domain::roll::is_plausible_email(&office.email) {
            return Err(format!(
                "the office e-mail address {:?} is not an e-mail address",
                office.email
            ));
        }
        if [&office.name, &office.email, &office.phone, &office.hours]
            .iter()
            .any(|s| s.chars().count() > 200 || s.chars().any(char::is_control))
        {
            return Err("the office's details must be short lines of text".into());
        }
        Ok(office)
    }
}

static OFFICE: OnceLock<Office> = OnceLock::new();

/// Set the office for this process (once, at start-up).
pub fn set(office: Office) {
    let _ = OFFICE.set(office);
}

/// The office, if one was set.
pub fn get() -> Option<&'static Office> {
    OFFICE.get()
}
