//! Account administration (administrators only): every account with its
//! role and state; create accounts, change roles, disable, reset passwords
//! and second factors. New passwords are generated and shown once.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{check_csrf, require, signed_in, Nav};
use crate::domain::roles::Role;
use crate::ops::staff::{add, change_account, generate_password, AccountChange, AccountError, StaffUser};
use crate::store::staff as store;
use crate::time::{format as when, now};
use crate::web::error::PageError;
use crate::web::pages::{render, Page};
use crate::web::AppState;

#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn roles(current: &str) -> Vec<RoleOption> {
    Role::ALL
        .iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(),
            selected: r.as_str() == current,
        })
        .collect()
}

#[derive(Serialize)]
struct AccountRow {
    id: String,
    username: String,
    display_name: String,
    role: String,
    roles: Vec<RoleOption>,
    totp: bool,
    disabled: bool,
    created: String,
    me: bool,
}

#[derive(Serialize)]
struct AccountsPage {
    nav: Nav,
    accounts: Vec<AccountRow>,
    new_roles: Vec<RoleOption>,
    message: Option<String>,
    /// A generated password, shown once.
    password: Option<String>,
    password_for: Option<String>,
    error: Option<String>,
}

/// What the page says after an action.
#[derive(Default)]
struct Outcome {
    message: Option<String>,
    password: Option<(String, String)>,
    error: Option<String>,
}

async fn page(state: &AppState, user: &StaffUser, outcome: Outcome, status: StatusCode) -> Response {
    let rows = match state.run(|conn, _| Ok(store::list(conn)?)).await {
        Ok(r) => r,
        Err(e) => return PageError::from(e).into_response(),
    };
    let accounts = rows
        .into_iter()
        .map(|r| AccountRow {
            me: r.id == user.id,
            roles: roles(&r.role),
            role: r.role.parse::<Role>().map(Role::label).unwrap_or("unknown").to_string(),
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            totp: r.totp_secret.is_some(),
            disabled: r.disabled,
            created: when(r.created_at),
        })
        .collect();
    let (password_for, password) = outcome.password.map(|(u, p)| (Some(u), Some(p))).unwrap_or_default();
    render(
        status,
        "staff_accounts",
        &Page {
            page_title: "Accounts".into(),
            election_title: None,
            body: AccountsPage {
                nav: Nav::of(user),
                accounts,
                new_roles: roles("officer"),
                message: outcome.message,
                password,
                password_for,
                error: outcome.error,
            },
        },
    )
}

async fn administrator(state: &AppState, headers: &HeaderMap) -> Result<StaffUser, Response> {
    let user = signed_in(state, headers).await?;
    require(&user, user.role.manages_accounts(), "manage accounts")?;
    Ok(user)
}

/// `GET /staff/accounts`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match administrator(&state, &headers).await {
        Ok(user) => page(&state, &user, Outcome::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

/// The accounts page's forms.
#[derive(Deserialize)]
pub struct AccountsForm {
    csrf: String,
    action: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

/// `POST /staff/accounts`: create, set-role, disable, enable,
/// reset-password, clear-totp.
pub async fn act(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<AccountsForm>) -> Response {
    let user = match administrator(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&user, &form.csrf) {
        return r;
    }
    let role = form.role.parse::<Role>();
    let change = match form.action.as_str() {
        "create" => None,
        "disable" => Some(AccountChange::Disable),
        "enable" => Some(AccountChange::Enable),
        "reset-password" => Some(AccountChange::ResetPassword),
        "clear-totp" => Some(AccountChange::ClearSecondFactor),
        "set-role" => match &role {
            Ok(r) => Some(AccountChange::SetRole(*r)),
            Err(e) => {
                let outcome = Outcome {
                    error: Some(e.clone()),
                    ..Outcome::default()
                };
                return page(&state, &user, outcome, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
        other => {
            let outcome = Outcome {
                error: Some(format!("unknown action {other:?}")),
                ..Outcome::default()
            };
            return page(&state, &user, outcome, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let admin = user.clone();
    let result: Result<Result<Outcome, AccountError>, _> = state
        .run(move |conn, _| {
            let done = match change {
                None => {
                    let role = match role {
                        Ok(r) => r,
                        Err(e) => return Ok(Err(AccountError::Op(crate::ops::OpError::Refused(e)))),
                    };
                    let password = generate_password()?;
                    add(conn, &form.username, &form.display_name, role, &password, now()).map(|row| Outcome {
                        message: Some(format!("Account {} created as {}.", row.username, role.label())),
                        password: Some((row.username, password)),
                        error: None,
                    })
                }
                Some(change) => change_account(conn, &admin, &form.id, change).map(|(row, password)| Outcome {
                    message: Some(match change {
                        AccountChange::Disable => format!("{} is disabled and signed out.", row.username),
                        AccountChange::Enable => format!("{} can sign in again.", row.username),
                        AccountChange::ResetPassword => {
                            format!("{} has a new password and is signed out.", row.username)
                        }
                        AccountChange::ClearSecondFactor => {
                            format!("{} no longer has two-step sign-in and is signed out.", row.username)
                        }
                        AccountChange::SetRole(r) => format!("{} is now: {}.", row.username, r.label()),
                    }),
                    password: password.map(|p| (row.username.clone(), p)),
                    error: None,
                }),
            };
            Ok(done)
        })
        .await;
    match result {
        Ok(Ok(outcome)) => {
            tracing::info!(actor = %user.actor(), action = %form_action_label(&outcome), "account change");
            page(&state, &user, outcome, StatusCode::OK).await
        }
        Ok(Err(AccountError::Op(e))) | Err(e) => PageError::from(e).into_response(),
        Ok(Err(e)) => {
            let outcome = Outcome {
                error: Some(e.to_string()),
                ..Outcome::default()
            };
            page(&state, &user, outcome, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

fn form_action_label(o: &Outcome) -> String {
    o.message.clone().unwrap_or_default()
}
