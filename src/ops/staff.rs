//! Staff accounts: creation, passwords (Argon2id), the optional second
//! factor (TOTP), and sessions (a random cookie stored as its SHA-256).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use teller_audit::crypto::Digest;

use super::OpError;
use crate::db::{write_tx, AnyConnection};
use crate::domain::password::{self, WeakPassword};
use crate::domain::roles::Role;
use crate::domain::totp;
use crate::secrets::{random_bytes, MasterSecret};
use crate::store::staff::{self as store, SessionRow, StaffRow};
use crate::store::{corrupt, StoreError};

/// Sessions end after this long idle.
pub const IDLE_SECONDS: i64 = 30 * 60;
/// Sessions end after this long in any case.
pub const MAX_SECONDS: i64 = 12 * 60 * 60;
/// Attempts at the current password one session may make (to change the
/// password or the second factor) before it ends: a session alone must not
/// be a way to guess the password.
pub const SESSION_PASSWORD_TRIES: i32 = 3;

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct StaffUser {
    /// Account id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Whether a second factor is enrolled.
    pub totp: bool,
    /// The session's anti-forgery token.
    pub csrf: String,
    /// The session (the SHA-256 of its cookie, as stored).
    pub session: String,
}

impl StaffUser {
    /// How the log names this person.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.username)
    }
}

/// Why an account could not be made or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Bad login name.
    #[error("a username is 2–40 characters of a-z, 0-9, '.', '-' and '_'")]
    Username,
    /// Taken.
    #[error("the username {0:?} is taken")]
    Taken(String),
    /// Too short or too easy to guess (`domain::password`).
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    /// Blank name.
    #[error("the display name is empty")]
    DisplayName,
    /// The current password given was wrong.
    #[error("the current password is not right")]
    WrongPassword,
    /// Too many attempts to change credentials failed; the session has ended.
    #[error("{SESSION_PASSWORD_TRIES} attempts did not work, so you have been signed out; sign in again")]
    SignedOut,
    /// The TOTP code given was wrong.
    #[error("that code is not right; check the time on your device and try the current code")]
    WrongCode,
    /// Changing the second factor needs a current code from the one enrolled.
    #[error("enter the current 6-digit code from the authenticator app you use now")]
    CurrentCodeNeeded,
    /// No such account.
    #[error("there is no such account")]
    NoSuchAccount,
    /// The change would leave nobody able to manage accounts.
    #[error("this is the last active administrator account; make another administrator first")]
    LastAdministrator,
    /// Administrators cannot lock themselves out.
    #[error("you cannot {0} your own account here; ask another administrator")]
    OwnAccount(&'static str),
    /// Other failure.
    #[error(transparent)]
    Op(#[from] OpError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Op(e.into())
    }
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Op(e.into())
    }
}

fn valid_username(u: &str) -> bool {
    (2..=40).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
}

/// Hash a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, OpError> {
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| StoreError::from(corrupt(e)))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::from(corrupt(e)).into())
}

/// Whether `password` matches an Argon2 `hash`.
pub fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A password for a new account: 20 random characters from the token
/// alphabet (100 bits), drawn again in the unlikely case the policy finds a
/// pattern in it.
pub fn generate_password() -> Result<String, OpError> {
    loop {
        let t = crate::domain::token::Token::generate()?;
        let candidate = t.as_str()[..20].to_string();
        if password::check(&candidate, &[]).is_ok() {
            return Ok(candidate);
        }
    }
}

/// Create an account.
pub fn add(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
    now: i64,
) -> Result<StaffRow, AccountError> {
    let username = username.trim().to_ascii_lowercase();
    if !valid_username(&username) {
        return Err(AccountError::Username);
    }
    if display_name.trim().is_empty() || display_name.chars().count() > 200 {
        return Err(AccountError::DisplayName);
    }
    password::check(password, &[&username, display_name])?;
    let row = StaffRow {
        id: uuid::Uuid::new_v4().to_string(),
        username: username.clone(),
        display_name: display_name.trim().to_string(),
        password_hash: hash_password(password)?,
        role: role.as_str().to_string(),
        totp_secret: None,
        disabled: false,
        created_at: now,
    };
    write_tx(conn, |conn| {
        if store::by_username(conn, &username)?.is_some() {
            return Err(AccountError::Taken(username.clone()));
        }
        store::insert(conn, &row)?;
        Ok(row.clone())
    })
}

/// Why a login failed. Deliberately vague about which part was wrong.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password, or disabled account.
    #[error("the username or password is not right")]
    Credentials,
    /// The account has a second factor and no (or a wrong) code was given.
    #[error("enter the 6-digit code from your authenticator app")]
    CodeNeeded,
    /// The code was right but has been used already (codes work once).
    #[error("that code has been used already; wait for your authenticator app to show the next one")]
    CodeUsed,
    /// Other failure.
    #[error(transparent)]
    Op(#[from] OpError),
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        LoginError::Op(e.into())
    }
}

impl From<diesel::result::Error> for LoginError {
    fn from(e: diesel::result::Error) -> Self {
        LoginError::Op(e.into())
    }
}

/// A real hash of nothing in particular, checked when the user is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("not a password of anyone").unwrap_or_default());

fn totp_context(staff_id: &str) -> String {
    format!("teller/staff-totp/{staff_id}")
}

/// A new session: the cookie value to hand out, and the account.
pub struct NewSession {
    /// The cookie value (never stored; only its hash is).
    pub cookie: String,
    /// Who.
    pub user: StaffUser,
}

fn user_of(row: &StaffRow, csrf: String, session: String) -> Result<StaffUser, OpError> {
    Ok(StaffUser {
        session,
        id: row.id.clone(),
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        role: row.role.parse().map_err(|e: String| StoreError::from(corrupt(e)))?,
        totp: row.totp_secret.is_some(),
        csrf,
    })
}

/// A sign-in in progress: the account named, if any, and the hash to check
/// the password against (a dummy for unknown names, so that timing does not
/// reveal which exist).
pub struct LoginAttempt {
    row: Option<StaffRow>,
    hash: String,
}

impl LoginAttempt {
    /// Read the account named `username`.
    pub fn find(conn: &mut AnyConnection, username: &str) -> Result<Self, OpError> {
        let row = store::by_username(conn, &username.trim().to_ascii_lowercase())?;
        let hash = match &row {
            Some(r) => r.password_hash.clone(),
            None => DUMMY_HASH.clone(),
        };
        Ok(LoginAttempt { row, hash })
    }

    /// The hash to check the password against, with [`password_matches`]:
    /// slow and memory-hungry by design, so the web server runs it with no
    /// database connection held and a bound on how many run at once.
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// Check a sign-in: the account, the password, then the second factor; a
/// session on success.
pub fn login(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    username: &str,
    password: &str,
    code: &str,
    now: i64,
) -> Result<NewSession, LoginError> {
    let attempt = LoginAttempt::find(conn, username)?;
    let ok = password_matches(password, attempt.hash());
    finish_login(conn, secret, attempt, ok, code, now)
}

/// The rest of a sign-in once the password has been checked (`password_ok`).
pub fn finish_login(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    attempt: LoginAttempt,
    password_ok: bool,
    code: &str,
    now: i64,
) -> Result<NewSession, LoginError> {
    let (row, ok) = (attempt.row, password_ok);
    let Some(row) = row.filter(|r| ok && !r.disabled) else {
        return Err(LoginError::Credentials);
    };
    if let Some(sealed) = &row.totp_secret {
        let key = secret.unseal(&totp_context(&row.id), sealed).map_err(OpError::from)?;
        let Some(step) = totp::verify(&key, code, now) else {
            return Err(LoginError::CodeNeeded);
        };
        // Single use: only a step later than the last one used gets in.
        if !store::use_totp_step(conn, &row.id, step)? {
            return Err(LoginError::CodeUsed);
        }
    }
    let cookie = hex::encode(random_bytes::<32>().map_err(OpError::from)?);
    let csrf = hex::encode(random_bytes::<16>().map_err(OpError::from)?);
    let token_hash = Digest::of(cookie.as_bytes()).to_hex();
    let session = SessionRow {
        token_hash: token_hash.clone(),
        staff_id: row.id.clone(),
        csrf: csrf.clone(),
        created_at: now,
        last_seen: now,
        expires_at: now + MAX_SECONDS,
    };
    store::delete_expired(conn, now)?;
    store::insert_session(conn, &session)?;
    Ok(NewSession {
        cookie,
        user: user_of(&row, csrf, token_hash)?,
    })
}

/// The signed-in user behind a session cookie, if the session is live.
pub fn session_user(conn: &mut AnyConnection, cookie: &str, now: i64) -> Result<Option<StaffUser>, OpError> {
    let hash = Digest::of(cookie.as_bytes()).to_hex();
    let Some((session, row)) = store::session(conn, &hash)? else {
        return Ok(None);
    };
    if row.disabled || now >= session.expires_at || now - session.last_seen > IDLE_SECONDS {
        store::delete_session(conn, &hash)?;
        return Ok(None);
    }
    // Write at most once a minute, not on every page.
    if now - session.last_seen > 60 {
        store::touch_session(conn, &hash, now)?;
    }
    Ok(Some(user_of(&row, session.csrf, hash)?))
}

/// End a session.
pub fn logout(conn: &mut AnyConnection, cookie: &str) -> Result<(), OpError> {
    Ok(store::delete_session(conn, &Digest::of(cookie.as_bytes()).to_hex())?)
}

/// Check the password of a signed-in user who is about to change their
/// credentials. Every attempt is counted in the session before the (slow)
/// check, and forgotten only when the whole change succeeds; the session
/// ends at the [`SESSION_PASSWORD_TRIES`]th that fails, so neither many
/// attempts in a row nor many at once can guess the password or a code.
/// Returns the attempts made so far, this one included.
fn check_current_password(conn: &mut AnyConnection, user: &StaffUser, password: &str) -> Result<i32, AccountError> {
    let Some(attempts) = store::count_password_attempt(conn, &user.session)? else {
        return Err(AccountError::SignedOut);
    };
    if attempts > SESSION_PASSWORD_TRIES {
        store::delete_session(conn, &user.session)?;
        return Err(AccountError::SignedOut);
    }
    let row = store::by_id(conn, &user.id)?.ok_or(AccountError::NoSuchAccount)?;
    if password_matches(password, &row.password_hash) {
        return Ok(attempts);
    }
    if attempts >= SESSION_PASSWORD_TRIES {
        store::delete_session(conn, &user.session)?;
        return Err(AccountError::SignedOut);
    }
    Err(AccountError::WrongPassword)
}

/// Change one's own password (ends every other session).
pub fn change_password(
    conn: &mut AnyConnection,
    user: &StaffUser,
    current: &str,
    new: &str,
) -> Result<(), AccountError> {
    // The policy first: it is cheap, and needs no proof of who is asking.
    password::check(new, &[&user.username, &user.display_name])?;
    check_current_password(conn, user, current)?;
    let hash = hash_password(new)?;
    write_tx(conn, |conn| {
        store::set_password(conn, &user.id, &hash)?;
        store::delete_sessions_of(conn, &user.id)?;
        Ok(())
    })
}

/// A TOTP key for enrolment: raw bytes and what to type into an app.
pub fn new_totp_key() -> Result<[u8; 20], OpError> {
    Ok(random_bytes::<20>()?)
}

/// What to do with one's own second factor.
pub enum SecondFactorChange<'a> {
    /// Enrol `key` (a new one replaces any enrolled), proven by `code` from it.
    Enrol {
        /// The new TOTP key.
        key: &'a [u8],
        /// A code the app made from it.
        code: &'a str,
    },
    /// Turn two-step sign-in off.
    Remove,
}

/// Enrol, replace or remove one's own second factor. A session alone is not
/// enough: it needs the account's password and, when a second factor is
/// enrolled, a current code from it (used up like a sign-in's). Returns
/// whether a second factor is on afterwards.
pub fn change_second_factor(
    conn: &mut AnyConnection,
    secret: &MasterSecret,
    user: &StaffUser,
    current_password: &str,
    current_code: &str,
    change: SecondFactorChange<'_>,
    now: i64,
) -> Result<bool, AccountError> {
    let attempts = check_current_password(conn, user, current_password)?;
    // One transaction: a refused new code leaves the current code unused.
    let result = write_tx(conn, |conn| {
        let row = store::by_id(conn, &user.id)?.ok_or(AccountError::NoSuchAccount)?;
        if let Some(sealed) = &row.totp_secret {
            let key = secret.unseal(&totp_context(&row.id), sealed).map_err(OpError::from)?;
            let step = totp::verify(&key, current_code, now).ok_or(AccountError::CurrentCodeNeeded)?;
            if !store::use_totp_step(conn, &row.id, step)? {
                return Err(AccountError::CurrentCodeNeeded);
            }
        }
        let on = matches!(change, SecondFactorChange::Enrol { .. });
        match change {
            SecondFactorChange::Enrol { key, code } => {
                let step = totp::verify(key, code, now).ok_or(AccountError::WrongCode)?;
                let sealed = secret.seal(&totp_context(&row.id), key).map_err(OpError::from)?;
                // The code that proved the new key counts as used: sign-in needs a later one.
                store::set_totp(conn, &row.id, Some(&sealed), Some(step))?;
            }
            SecondFactorChange::Remove => store::set_totp(conn, &row.id, None, None)?,
        }
        store::clear_password_attempts(conn, &user.session)?;
        Ok(on)
    });
    match result {
        // A wrong code counts like a wrong password: the third failure ends the session.
        Err(AccountError::CurrentCodeNeeded | AccountError::WrongCode) if attempts >= SESSION_PASSWORD_TRIES => {
            store::delete_session(conn, &user.session)?;
            Err(AccountError::SignedOut)
        }
        other => other,
    }
}

/// What an administrator does to another account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    /// It can no longer sign in; its sessions end.
    Disable,
    /// It can sign in again.
    Enable,
    /// A new password is generated (returned once); its sessions end.
    ResetPassword,
    /// The second factor is removed; its sessions end.
    ClearSecondFactor,
    /// A new role; its sessions end.
    SetRole(Role),
}

/// Apply `change` to account `id` as `admin`. Returns the new password when
/// one was generated. Refuses to leave no active administrator, and refuses
/// administrators locking or demoting themselves.
pub fn change_account(
    conn: &mut AnyConnection,
    admin: &StaffUser,
    id: &str,
    change: AccountChange,
) -> Result<(StaffRow, Option<String>), AccountError> {
    if !admin.role.manages_accounts() {
        return Err(AccountError::Op(OpError::Refused(
            "only administrators manage accounts".into(),
        )));
    }
    if id == admin.id {
        match change {
            AccountChange::Disable => return Err(AccountError::OwnAccount("disable")),
            AccountChange::SetRole(r) if r != admin.role => return Err(AccountError::OwnAccount("change the role of")),
            AccountChange::ResetPassword | AccountChange::ClearSecondFactor => {
                return Err(AccountError::OwnAccount("reset"))
            }
            _ => {}
        }
    }
    let password = match change {
        AccountChange::ResetPassword => Some(generate_password()?),
        _ => None,
    };
    let hash = password.as_deref().map(hash_password).transpose()?;
    write_tx(conn, |conn| {
        let row = store::by_id(conn, id)?.ok_or(AccountError::NoSuchAccount)?;
        let was_admin = row.role == Role::Administrator.as_str() && !row.disabled;
        let stays_admin = match change {
            AccountChange::Disable => false,
            AccountChange::SetRole(r) => r == Role::Administrator,
            _ => was_admin,
        };
        if was_admin && !stays_admin {
            let others = store::list(conn)?
                .iter()
                .filter(|o| o.id != row.id && !o.disabled && o.role == Role::Administrator.as_str())
                .count();
            if others == 0 {
                return Err(AccountError::LastAdministrator);
            }
        }
        match change {
            AccountChange::Disable => store::set_disabled(conn, id, true)?,
            AccountChange::Enable => store::set_disabled(conn, id, false)?,
            AccountChange::ResetPassword => store::set_password(conn, id, hash.as_deref().unwrap_or_default())?,
            AccountChange::ClearSecondFactor => store::set_totp(conn, id, None, None)?,
            AccountChange::SetRole(r) => store::set_role(conn, id, r.as_str())?,
        }
        if change != AccountChange::Enable {
            store::delete_sessions_of(conn, id)?;
        }
        let row = store::by_id(conn, id)?.ok_or(AccountError::NoSuchAccount)?;
        Ok((row, password.clone()))
    })
}
