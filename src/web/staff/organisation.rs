//! The organisation's profile in the console (administrators only): its
//! names, colours (checked for contrast with white), the election office's
//! contact, the privacy notice, and the logo (uploaded, checked and
//! re-encoded by `domain::logo`). A refused change changes nothing. Every
//! change is logged with who made it, and this instance's copy is replaced
//! at once (others follow within `organisation::REFRESH`).

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{check_csrf, require, signed_in, Nav};
use crate::db::write_tx;
use crate::domain::brand;
use crate::domain::logo::{self, LogoError};
use crate::ops::staff::StaffUser;
use crate::ops::OpError;
use crate::organisation::{self, Organisation};
use crate::store::organisation::{self as store, ProfileFields};
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

/// The largest logo request read: a file a few times larger than the 1 MiB
/// accepted is still read to its end and answered with the console page
/// saying so; anything larger is cut off.
pub const MAX_LOGO_BODY: usize = 4 * logo::MAX_UPLOAD_BYTES;
/// The longest anti-forgery token read from the logo form.
const MAX_CSRF: usize = 256;

/// The profile form's fields (also what the page shows in it).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ProfileForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default, skip_serializing)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    primary_colour: String,
    #[serde(default)]
    accent_colour: String,
    #[serde(default)]
    office_name: String,
    #[serde(default)]
    office_email: String,
    #[serde(default)]
    office_phone: String,
    #[serde(default)]
    office_hours: String,
    #[serde(default)]
    privacy_url: String,
}

impl ProfileForm {
    /// The form as saved, or as the serve flags and defaults fill it.
    fn of(organisation: &Organisation) -> Self {
        match &organisation.profile {
            Some(p) => ProfileForm {
                name: p.name.clone(),
                short_name: p.short_name.clone(),
                primary_colour: p.primary_colour.clone(),
                accent_colour: p.accent_colour.clone(),
                office_name: p.office_name.clone(),
                office_email: p.office_email.clone(),
                office_phone: p.office_phone.clone(),
                office_hours: p.office_hours.clone(),
                privacy_url: p.privacy_url.clone(),
                ..ProfileForm::default()
            },
            None => {
                let office = crate::office::get().cloned().unwrap_or_default();
                ProfileForm {
                    primary_colour: brand::DEFAULT_PRIMARY.into(),
                    accent_colour: brand::DEFAULT_ACCENT.into(),
                    office_name: office.name,
                    office_email: office.email,
                    office_phone: office.phone,
                    office_hours: office.hours,
                    ..ProfileForm::default()
                }
            }
        }
    }

    /// Every field checked; every problem at once.
    fn checked(&self) -> Result<ProfileFields, Vec<String>> {
        let mut problems = Vec::new();
        let mut keep = |r: Result<String, String>| {
            r.unwrap_or_else(|e| {
                problems.push(e);
                String::new()
            })
        };
        let name = keep(brand::name("organisation's name", &self.name, 120));
        let short_name = keep(brand::name("short name", &self.short_name, 40));
        let primary_colour = keep(
            brand::primary(&self.primary_colour)
                .map(|c| c.to_string())
                .map_err(|e| e.to_string()),
        );
        let accent_colour = keep(
            brand::accent(&self.accent_colour)
                .map(|c| c.to_string())
                .map_err(|e| e.to_string()),
        );
        let office_name = keep(brand::name("election office's name", &self.office_name, 200));
        let office_email = keep(email(&self.office_email));
        let office_phone = keep(line("phone number", &self.office_phone));
        let office_hours = keep(line("office hours", &self.office_hours));
        let privacy_url = keep(brand::privacy_url(&self.privacy_url));
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ProfileFields {
            name,
            short_name,
            primary_colour,
            accent_colour,
            office_name,
            office_email,
            office_phone,
            office_hours,
            privacy_url,
        })
    }
}

fn email(given: &str) -> Result<String, String> {
    let given = given.trim();
    if given.is_empty() {
        return Err("give the election office's e-mail address".into());
    }
    if given.chars().count() > 200 || !crate::domain::roll::is_plausible_email(given) {
        return Err(format!("the office e-mail address {given:?} is not an e-mail address"));
    }
    Ok(given.to_string())
}

fn line(what: &str, given: &str) -> Result<String, String> {
    let given = given.trim();
    if given.chars().count() > 200 || given.chars().any(char::is_control) {
        return Err(format!("the {what} must be one line of at most 200 characters"));
    }
    Ok(given.to_string())
}

#[derive(Serialize)]
struct OrganisationPage {
    nav: Nav,
    form: ProfileForm,
    saved: bool,
    updated: Option<String>,
    logo: Option<crate::organisation::LogoView>,
    version: i64,
    message: Option<String>,
    problems: Vec<String>,
    primary_min: String,
    accent_min: String,
}

/// What the page says after an action.
#[derive(Default)]
struct Outcome {
    message: Option<String>,
    problems: Vec<String>,
    /// The form as submitted, when it was refused.
    form: Option<ProfileForm>,
}

/// The page, with the instance's current profile as the request's (so the
/// header shows a change just saved).
async fn page(state: &AppState, user: &StaffUser, outcome: Outcome, status: StatusCode) -> Response {
    let current = state.organisation();
    let view = current.view();
    let body = OrganisationPage {
        nav: Nav::of(user),
        form: outcome.form.unwrap_or_else(|| ProfileForm::of(&current)),
        saved: current.branded(),
        updated: current
            .profile
            .as_ref()
            .map(|p| format!("{} by {}", crate::time::format(p.updated_at), p.updated_by)),
        logo: view.logo,
        version: view.version,
        message: outcome.message,
        problems: outcome.problems,
        primary_min: brand::PRIMARY_MIN_CONTRAST.to_string(),
        accent_min: brand::ACCENT_MIN_CONTRAST.to_string(),
    };
    organisation::scope(current, async move {
        render(
            status,
            "staff_organisation",
            &Page {
                page_title: "Organisation".into(),
                election_title: None,
                body,
            },
        )
    })
    .await
}

async fn administrator(state: &AppState, headers: &HeaderMap) -> Result<StaffUser, Response> {
    let user = signed_in(state, headers).await?;
    require(&user, user.role.manages_accounts(), "change the organisation's profile")?;
    Ok(user)
}

/// `GET /staff/organisation`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match administrator(&state, &headers).await {
        Ok(user) => page(&state, &user, Outcome::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

/// Save, then reload this instance's copy and show the page.
async fn saved(state: &AppState, user: &StaffUser, result: Result<Option<i64>, OpError>, done: &str) -> Response {
    match result {
        Ok(Some(version)) => {
            tracing::info!(actor = %user.actor(), action = done, version, "organisation profile changed");
            if let Err(e) = state.reload_organisation().await {
                return PageError::from(e).into_response();
            }
            let outcome = Outcome {
                message: Some(format!("{done}.")),
                ..Outcome::default()
            };
            page(state, user, outcome, StatusCode::OK).await
        }
        Ok(None) => {
            let outcome = Outcome {
                problems: vec!["save the organisation's profile first, then add its logo".into()],
                ..Outcome::default()
            };
            page(state, user, outcome, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `POST /staff/organisation`: `action` = `save` (the profile) or
/// `remove-logo`.
pub async fn save(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<ProfileForm>) -> Response {
    let user = match administrator(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&user, &form.csrf) {
        return r;
    }
    let actor = user.actor();
    let now = crate::time::now();
    match form.action.as_str() {
        "save" => {
            let fields = match form.checked() {
                Ok(f) => f,
                Err(problems) => {
                    let outcome = Outcome {
                        problems,
                        form: Some(form),
                        ..Outcome::default()
                    };
                    return page(&state, &user, outcome, StatusCode::UNPROCESSABLE_ENTITY).await;
                }
            };
            let result = state
                .run(move |conn, _| write_tx(conn, |conn| Ok(Some(store::save(conn, &fields, &actor, now)?))))
                .await;
            saved(&state, &user, result, "The organisation's profile is saved").await
        }
        "remove-logo" => {
            let result = state
                .run(move |conn, _| write_tx(conn, |conn| Ok(store::set_logo(conn, None, &actor, now)?)))
                .await;
            saved(&state, &user, result, "The logo is removed").await
        }
        other => {
            let outcome = Outcome {
                problems: vec![format!("unknown action {other:?}")],
                ..Outcome::default()
            };
            page(&state, &user, outcome, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A refused logo: the page with the reason; nothing changed.
async fn refused_logo(state: &AppState, user: &StaffUser, problem: String, status: StatusCode) -> Response {
    let outcome = Outcome {
        problems: vec![format!("the logo was not changed: {problem}")],
        ..Outcome::default()
    };
    page(state, user, outcome, status).await
}

/// `POST /staff/organisation/logo`: a PNG or JPEG of up to 1 MiB. The
/// form sends the anti-forgery token before the file, so the sender is
/// admitted before the file is read.
pub async fn upload_logo(State(state): State<AppState>, headers: HeaderMap, mut form: Multipart) -> Response {
    let user = match administrator(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let too_large = |e: &axum::extract::multipart::MultipartError| e.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let broken = |e: &axum::extract::multipart::MultipartError| {
        PageError::bad_request(format!(
            "The upload did not arrive whole ({}); nothing was changed.",
            e.body_text()
        ))
        .into_response()
    };
    let mut csrf: Option<String> = None;
    let mut file: Option<Vec<u8>> = None;
    let mut oversized = false;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if too_large(&e) => {
                return refused_logo(
                    &state,
                    &user,
                    LogoError::TooLarge.to_string(),
                    StatusCode::PAYLOAD_TOO_LARGE,
                )
                .await
            }
            Err(e) => return broken(&e),
        };
        let name = field.name().unwrap_or_default().to_string();
        let limit = match name.as_str() {
            "csrf" => MAX_CSRF,
            "logo" if csrf.is_some() => logo::MAX_UPLOAD_BYTES,
            // The token must come first; anything else is read past, unkept.
            _ => 0,
        };
        // Read every field to its end (within the request's limit), keeping
        // at most `limit` bytes: the answer then reaches the browser, whose
        // connection stays usable, rather than a connection cut mid-upload.
        let mut bytes = Vec::new();
        let mut over = false;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if !over && bytes.len() + chunk.len() <= limit => bytes.extend_from_slice(&chunk),
                Ok(Some(_)) => {
                    over = true;
                    bytes = Vec::new();
                }
                Ok(None) => break,
                Err(e) if too_large(&e) => {
                    return refused_logo(
                        &state,
                        &user,
                        LogoError::TooLarge.to_string(),
                        StatusCode::PAYLOAD_TOO_LARGE,
                    )
                    .await
                }
                Err(e) => return broken(&e),
            }
        }
        match name.as_str() {
            "csrf" if !over => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "logo" if csrf.is_some() && over => oversized = true,
            "logo" if csrf.is_some() => file = Some(bytes),
            _ => {}
        }
    }
    if let Err(r) = check_csrf(&user, csrf.as_deref().unwrap_or_default()) {
        return r;
    }
    if oversized {
        return refused_logo(
            &state,
            &user,
            LogoError::TooLarge.to_string(),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    }
    let bytes = file.unwrap_or_default();
    // Decoding and resizing are CPU work: off the async threads.
    let processed = tokio::task::spawn_blocking(move || logo::process(&bytes)).await;
    let processed = match processed {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            let status = if e == LogoError::TooLarge {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return refused_logo(&state, &user, e.to_string(), status).await;
        }
        Err(_) => {
            return refused_logo(
                &state,
                &user,
                LogoError::Encode.to_string(),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
            .await
        }
    };
    let actor = user.actor();
    let now = crate::time::now();
    let result = state
        .run(move |conn, _| {
            write_tx(conn, |conn| {
                Ok(store::set_logo(
                    conn,
                    Some((&processed.png, processed.width, processed.height)),
                    &actor,
                    now,
                )?)
            })
        })
        .await;
    saved(&state, &user, result, "The logo is saved").await
}
