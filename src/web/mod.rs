//! The web layer: voter pages, public pages and the JSON API, over axum.

pub mod api;
pub mod board;
pub mod brand;
pub mod candidates;
pub mod cast_queue;
pub mod ceremony;
pub mod client;
pub mod decryption;
pub mod error;
pub mod health;
pub mod language;
pub mod limits;
pub mod metrics;
pub mod pages;
pub mod paths;
pub mod proof_batch;
pub mod public;
pub mod public_gate;
pub mod receipt_proof;
pub mod redirect;
pub mod request_id;
pub mod results;
pub mod server;
pub mod staff;
pub mod tls;
pub mod voting;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::db::{self, AnyConnection, DbPool};
use crate::ops::OpError;
use crate::secrets::MasterSecret;

/// The largest request body accepted (forms and JSON ballots are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long one request may take before the server gives up on it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    pool: DbPool,
    secret: Arc<MasterSecret>,
    public_url: String,
    casts: cast_queue::CastQueue,
    /// Checks encrypted casts' proofs, those arriving together at once.
    proofs: proof_batch::ProofBatcher,
    /// Definitions of elections whose polls have opened (frozen, so safe to keep).
    definitions: std::sync::Mutex<std::collections::HashMap<String, Arc<CachedDefinition>>>,
    /// Open elections' encryption (`None`: plain), kept once the polls
    /// have opened: fixed from then on.
    encryptions: std::sync::Mutex<std::collections::HashMap<String, Option<Arc<crate::ops::encrypted::Encryption>>>>,
    /// Candidates' photos and profiles of elections whose polls have opened
    /// (frozen then too, `ops::profiles`).
    media: std::sync::Mutex<std::collections::HashMap<String, Arc<candidates::Media>>>,
    /// The logs' Merkle trees, for tree checkpoints and inclusion proofs
    /// (`ops::tree`).
    trees: crate::ops::tree::Trees,
    limiter: limits::Limiter,
    login_limiter: limits::Limiter,
    mailer: std::sync::OnceLock<crate::mail::Mailer>,
    clients: std::sync::OnceLock<client::ClientSettings>,
    retention: std::sync::OnceLock<Retention>,
    /// Set when this process terminates TLS itself (`serve --tls-cert`).
    tls: std::sync::OnceLock<()>,
    passwords: staff::login::PasswordGate,
    metrics: Arc<metrics::Metrics>,
    scheduler_tick: std::sync::OnceLock<Duration>,
    /// Set by `serve --no-scheduler` (a restored copy served for a drill).
    scheduler_off: std::sync::OnceLock<()>,
    /// This instance's copy of the organisation's profile (`web::brand`).
    organisation: crate::organisation::Cache,
}

/// How long personal data is kept once a result is final (`serve
/// --recount-window-days`, `--auto-purge`; see `ops::purge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days after the result is final before personal data may be deleted.
    pub window_days: u32,
    /// Whether the scheduler deletes it itself once the window has passed.
    pub auto_purge: bool,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            window_days: crate::ops::purge::DEFAULT_RECOUNT_WINDOW_DAYS,
            auto_purge: false,
        }
    }
}

/// How casts are batched into commits.
#[derive(Debug, Clone, Copy)]
pub struct CastSettings {
    /// Threads committing batches (1 suits SQLite, whose writers queue anyway).
    pub workers: usize,
    /// The most casts in one commit.
    pub max_batch: usize,
}

impl CastSettings {
    /// Sensible defaults for the backend behind `pool`.
    pub fn for_pool(pool: &DbPool) -> Self {
        let postgres = db::get(pool)
            .map(|c| matches!(*c, AnyConnection::Postgresql(_)))
            .unwrap_or(false);
        CastSettings {
            workers: if postgres { 4 } else { 1 },
            max_batch: 128,
        }
    }
}

/// An election's definition with its hash, kept in memory once frozen.
pub struct CachedDefinition {
    /// The definition.
    pub definition: teller_audit::definition::Definition,
    /// Its hash, computed once.
    pub hash: teller_audit::crypto::Digest,
}

impl AppState {
    /// Build the state: a pool, the master secret, and the public base URL
    /// used in links and to decide whether cookies are `Secure`.
    pub fn new(pool: DbPool, secret: MasterSecret, public_url: String) -> Self {
        let settings = CastSettings::for_pool(&pool);
        Self::with_cast_settings(pool, secret, public_url, settings)
    }

    /// Build the state with explicit cast batching.
    pub fn with_cast_settings(pool: DbPool, secret: MasterSecret, public_url: String, casts: CastSettings) -> Self {
        Self::with_settings(pool, secret, public_url, casts, limits::LimitSettings::default())
    }

    /// Build the state with explicit cast batching and guessing limits.
    pub fn with_settings(
        pool: DbPool,
        secret: MasterSecret,
        public_url: String,
        casts: CastSettings,
        limits: limits::LimitSettings,
    ) -> Self {
        let secret = Arc::new(secret);
        let metrics = Arc::new(metrics::Metrics::new());
        let queue = cast_queue::CastQueue::start(
            pool.clone(),
            secret.clone(),
            casts.workers,
            casts.max_batch,
            metrics.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                pool,
                secret,
                public_url: public_url.trim_end_matches('/').to_string(),
                casts: queue,
                proofs: proof_batch::ProofBatcher::start(1),
                definitions: std::sync::Mutex::new(std::collections::HashMap::new()),
                encryptions: std::sync::Mutex::new(std::collections::HashMap::new()),
                media: std::sync::Mutex::new(std::collections::HashMap::new()),
                trees: crate::ops::tree::Trees::default(),
                limiter: limits::Limiter::new(limits),
                login_limiter: limits::Limiter::new(limits::LimitSettings::LOGINS),
                mailer: std::sync::OnceLock::new(),
                clients: std::sync::OnceLock::new(),
                retention: std::sync::OnceLock::new(),
                tls: std::sync::OnceLock::new(),
                passwords: staff::login::PasswordGate::for_this_machine(),
                metrics,
                scheduler_tick: std::sync::OnceLock::new(),
                scheduler_off: std::sync::OnceLock::new(),
                organisation: crate::organisation::Cache::default(),
            }),
        }
    }

    /// An election's definition: from memory once the polls have opened (it
    /// is frozen then), else from the database.
    pub async fn definition(&self, election: &str) -> Result<Arc<CachedDefinition>, OpError> {
        self.frozen(&self.inner.definitions, election, |conn, id| {
            let row = crate::store::elections::find(conn, id)?.ok_or(OpError::NoSuchElection(id.to_string()))?;
            let definition = row.definition()?;
            let cached = Arc::new(CachedDefinition {
                hash: definition.hash(),
                definition,
            });
            Ok((cached, row.state()? >= crate::domain::lifecycle::State::Open))
        })
        .await
    }

    /// What `load` gives for `election` (with whether the polls have
    /// opened, which fixes it): from `cache` once they have, else from the
    /// database each time.
    async fn frozen<T, F>(
        &self,
        cache: &std::sync::Mutex<std::collections::HashMap<String, T>>,
        election: &str,
        load: F,
    ) -> Result<T, OpError>
    where
        T: Clone + Send + 'static,
        F: FnOnce(&mut AnyConnection, &str) -> Result<(T, bool), OpError> + Send + 'static,
    {
        let cached = cache.lock().unwrap_or_else(|p| p.into_inner()).get(election).cloned();
        if let Some(value) = cached {
            return Ok(value);
        }
        let id = election.to_string();
        let (value, frozen) = self.run(move |conn, _| load(conn, &id)).await?;
        if frozen {
            cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(election.to_string(), value.clone());
        }
        Ok(value)
    }

    /// An election's candidate photos and profiles (which exist, not the
    /// photos): from memory once the polls have opened, else from the
    /// database.
    pub async fn candidate_media(&self, election: &str) -> Result<Arc<candidates::Media>, OpError> {
        self.frozen(&self.inner.media, election, |conn, id| {
            // The state first: if the polls had opened by then, what
            // follows can no longer change.
            let row = crate::store::elections::find(conn, id)?.ok_or(OpError::NoSuchElection(id.to_string()))?;
            let frozen = row.state()? >= crate::domain::lifecycle::State::Open;
            Ok((Arc::new(candidates::Media::load(conn, id)?), frozen))
        })
        .await
    }

    /// Cast: check the ballot here, commit it through the group-commit
    /// queue, and sign the receipt once the commit is durable.
    pub async fn cast(
        &self,
        request: crate::ops::cast::CastRequest,
    ) -> Result<teller_audit::receipt::Receipt, OpError> {
        let started = std::time::Instant::now();
        let result = self.cast_unmeasured(request).await;
        match &result {
            Ok(_) => self.inner.metrics.accepted(started.elapsed().as_secs_f64()),
            Err(e) => self.inner.metrics.refused(metrics::Refusal::of(e)),
        }
        result
    }

    async fn cast_unmeasured(
        &self,
        request: crate::ops::cast::CastRequest,
    ) -> Result<teller_audit::receipt::Receipt, OpError> {
        let cached = self.definition(&request.election).await?;
        let prepared = crate::ops::cast::prepare(&cached.definition, cached.hash, &self.inner.secret, request)?;
        self.inner.casts.commit(prepared).await
    }

    /// An open election's encryption: `None` for a plain election, or one
    /// whose polls have not opened. Kept in memory once the polls have
    /// opened.
    pub async fn encryption(&self, election: &str) -> Result<Option<Arc<crate::ops::encrypted::Encryption>>, OpError> {
        self.frozen(&self.inner.encryptions, election, |conn, id| {
            let row = crate::store::elections::find(conn, id)?.ok_or(OpError::NoSuchElection(id.to_string()))?;
            let frozen = row.state()? >= crate::domain::lifecycle::State::Open;
            Ok((crate::ops::encrypted::Encryption::load(conn, id)?.map(Arc::new), frozen))
        })
        .await
    }

    /// Cast an encrypted ballot (`bytes`, as the device sent it): its
    /// proofs are checked on the blocking pool, then it goes through the
    /// group-commit queue as any cast.
    pub async fn cast_encrypted(
        &self,
        election: &str,
        token: crate::domain::token::Token,
        bytes: Vec<u8>,
        confirm: bool,
    ) -> Result<teller_audit::receipt::Receipt, OpError> {
        let started = std::time::Instant::now();
        let result = self.cast_encrypted_unmeasured(election, token, bytes, confirm).await;
        match &result {
            Ok(_) => self.inner.metrics.accepted(started.elapsed().as_secs_f64()),
            Err(e) => self.inner.metrics.refused(metrics::Refusal::of(e)),
        }
        result
    }

    async fn cast_encrypted_unmeasured(
        &self,
        election: &str,
        token: crate::domain::token::Token,
        bytes: Vec<u8>,
        confirm: bool,
    ) -> Result<teller_audit::receipt::Receipt, OpError> {
        let Some(encryption) = self.encryption(election).await? else {
            // Plain, or not open yet: say which.
            let id = election.to_string();
            let encrypted = self
                .run(move |conn, _| Ok(crate::store::ceremony::parameters(conn, &id)?.is_some()))
                .await?;
            return Err(if encrypted {
                OpError::PollsNotOpen(crate::domain::lifecycle::NotOpen::NotYet(None))
            } else {
                OpError::Refused(crate::ops::cast::PLAIN_ONLY.into())
            });
        };
        let secret = self.inner.secret.clone();
        let enc = encryption.clone();
        let worker_failed =
            |e: tokio::task::JoinError| OpError::Db(db::DbError::Connect(format!("worker failed: {e}")));
        let (prepared, equations) = tokio::task::spawn_blocking(move || {
            let confirm = match confirm {
                true => Some(hex::encode(crate::secrets::random_bytes::<16>()?)),
                false => None,
            };
            crate::ops::encrypted::prepare_unchecked(&enc, &secret, &token, &bytes, confirm)
        })
        .await
        .map_err(worker_failed)??;
        // The proofs' equations, with those of the casts arriving together.
        let prepared = if self.inner.proofs.holds(encryption.clone(), equations).await {
            prepared
        } else {
            tokio::task::spawn_blocking(move || crate::ops::encrypted::name_failing_proof(&encryption, prepared))
                .await
                .map_err(worker_failed)??
        };
        self.inner.casts.commit(prepared).await
    }

    /// This instance's metrics.
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.inner.metrics
    }

    /// Run no scheduler (`serve --no-scheduler`): nothing is sealed, opened,
    /// closed or purged by this instance, so a restored copy can be looked
    /// at without it signing anything.
    pub fn turn_scheduler_off(&self) {
        let _ = self.inner.scheduler_off.set(());
    }

    /// Whether this instance runs the scheduler.
    pub fn scheduler_on(&self) -> bool {
        self.inner.scheduler_off.get().is_none()
    }

    /// The scheduler's interval (the default until `serve` sets it).
    pub fn scheduler_tick(&self) -> Duration {
        self.inner
            .scheduler_tick
            .get()
            .copied()
            .unwrap_or(Duration::from_secs(5))
    }

    /// The public base URL, without a trailing slash.
    /// The logs' Merkle trees (`ops::tree`).
    pub fn trees(&self) -> &crate::ops::tree::Trees {
        &self.inner.trees
    }

    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// Whether the service is reached over HTTPS (cookies `Secure`, HSTS):
    /// its public URL is https, or it serves TLS itself.
    pub fn https(&self) -> bool {
        self.inner.public_url.starts_with("https://") || self.inner.tls.get().is_some()
    }

    /// Mark the service as serving TLS itself (set before the router is built).
    pub fn set_serves_tls(&self) {
        let _ = self.inner.tls.set(());
    }

    /// Run database work on the blocking pool with a pooled connection.
    pub async fn run<T, F>(&self, f: F) -> Result<T, OpError>
    where
        F: FnOnce(&mut AnyConnection, &MasterSecret) -> Result<T, OpError> + Send + 'static,
        T: Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db::get(&state.inner.pool)?;
            f(&mut conn, &state.inner.secret)
        })
        .await
        .map_err(|e| OpError::Db(db::DbError::Connect(format!("worker failed: {e}"))))?
    }

    /// The counters of failed code attempts.
    pub fn limiter(&self) -> &limits::Limiter {
        &self.inner.limiter
    }

    /// Send e-mail through this server (set once, at start-up).
    pub fn set_mailer(&self, mailer: crate::mail::Mailer) {
        let _ = self.inner.mailer.set(mailer);
    }

    /// The mail server, if one is configured.
    pub fn mailer(&self) -> Option<&crate::mail::Mailer> {
        self.inner.mailer.get()
    }

    /// Trusted proxies and connection caps (set once, at start-up, before
    /// serving; the defaults otherwise).
    pub fn set_client_settings(&self, settings: client::ClientSettings) {
        let _ = self.inner.clients.set(settings);
    }

    /// Set how long personal data is kept (once, before serving).
    pub fn set_retention(&self, retention: Retention) {
        let _ = self.inner.retention.set(retention);
    }

    /// How long personal data is kept.
    pub fn retention(&self) -> Retention {
        *self.inner.retention.get_or_init(Retention::default)
    }

    /// How clients are told apart and capped.
    pub fn client_settings(&self) -> &client::ClientSettings {
        self.inner.clients.get_or_init(client::ClientSettings::default)
    }

    /// The bound on password checks running at once.
    pub fn password_gate(&self) -> &staff::login::PasswordGate {
        &self.inner.passwords
    }

    /// The counters of failed staff sign-ins.
    pub fn login_limiter(&self) -> &limits::Limiter {
        &self.inner.login_limiter
    }

    /// This instance's copy of the organisation's profile.
    pub fn organisation(&self) -> Arc<crate::organisation::Organisation> {
        self.inner.organisation.get()
    }

    /// Read the organisation's profile from the database into this
    /// instance's copy (at start-up, after a save, when another instance
    /// saved).
    pub async fn reload_organisation(&self) -> Result<(), OpError> {
        let loaded = self
            .run(|conn, _| Ok(crate::organisation::Organisation::load(conn)?))
            .await?;
        self.inner.organisation.set(loaded);
        Ok(())
    }

    /// The pool (for the scheduler).
    pub fn pool(&self) -> &DbPool {
        &self.inner.pool
    }

    /// The master secret (for the scheduler).
    pub fn secret(&self) -> &MasterSecret {
        &self.inner.secret
    }
}

/// The largest upload accepted: a member roll of up to
/// [`crate::domain::roll::MAX_ROLL_BYTES`] (256 MiB; a million members with
/// seven columns is about 115 MiB), and the form around it. Uploads are read
/// as they arrive, never held whole (`staff::roll`).
pub const MAX_UPLOAD_BYTES: usize = crate::domain::roll::MAX_ROLL_BYTES + 1024 * 1024;
/// How long a roll upload (or its confirmation) may take: a large roll over
/// a slow line takes minutes, and importing a million members takes tens
/// of seconds.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How long a photo upload may take (2 MiB over a slow line).
pub const PHOTO_TIMEOUT: Duration = Duration::from_secs(120);

/// Every route.
pub fn router(state: AppState) -> Router {
    let public_reads = public_gate::Gate::for_pool(state.pool());
    // Roll uploads are the only large bodies; a logo is up to 1 MiB;
    // everything else is small.
    let uploads = Router::new()
        .route("/staff/elections/{id}/roll", post(staff::roll::upload))
        .route("/staff/elections/{id}/roll/confirm", post(staff::roll::confirm))
        .route("/staff/elections/{id}/roll/cancel", post(staff::roll::cancel))
        .route_layer(middleware::from_fn(paths::election_ids))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            UPLOAD_TIMEOUT,
        ));
    // Candidates' photos: up to 2 MiB, from the console only.
    let photos = Router::new()
        .route(
            "/staff/elections/{id}/candidates/{contest}/{candidate}",
            post(staff::candidates::edit),
        )
        .route(
            "/staff/elections/{id}/candidates/{contest}/{candidate}/photo",
            post(staff::candidates::upload),
        )
        .route_layer(middleware::from_fn(paths::election_ids))
        .layer(DefaultBodyLimit::max(staff::candidates::MAX_REQUEST_BYTES))
        .layer(RequestBodyLimitLayer::new(staff::candidates::MAX_REQUEST_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            PHOTO_TIMEOUT,
        ));
    // The member's cast and an audited ballot's download carry an encrypted
    // ballot: larger than a plain form (voting::encrypted::MAX_FORM_BYTES).
    let encrypted_forms = Router::new()
        .route("/ballot/cast", post(voting::cast::cast))
        .route("/ballot/audit/download", post(voting::encrypted::download))
        .layer(DefaultBodyLimit::max(voting::encrypted::MAX_FORM_BYTES))
        .layer(RequestBodyLimitLayer::new(voting::encrypted::MAX_FORM_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    // The API's casts and audited ballots: an encrypted ballot is larger
    // than a plain cast's 64 KiB allows for more than about 40 options.
    let encrypted_api = Router::new()
        .route("/api/v1/elections/{id}/ballots", post(api::cast))
        .route("/api/v1/elections/{id}/audited", post(api::audited))
        .route_layer(middleware::from_fn(paths::election_ids))
        .layer(DefaultBodyLimit::max(voting::encrypted::MAX_FORM_BYTES))
        .layer(RequestBodyLimitLayer::new(voting::encrypted::MAX_FORM_BYTES))
        .layer(middleware::from_fn(paths::json_too_large))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    // The organisation's logo: a file of up to 1 MiB, read to its end up to 4 MiB.
    let logo = Router::new()
        .route("/staff/organisation/logo", post(staff::organisation::upload_logo))
        .layer(DefaultBodyLimit::max(staff::organisation::MAX_LOGO_BODY))
        .layer(RequestBodyLimitLayer::new(staff::organisation::MAX_LOGO_BODY))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    // Trustees' partial decryptions: up to 1 MiB (about 330 bytes a target).
    let partials = Router::new()
        .route("/api/v1/elections/{id}/decryption/partials", post(decryption::api_post))
        .route("/trustee/decryption", post(decryption::upload))
        .route_layer(middleware::from_fn(paths::election_ids))
        .layer(DefaultBodyLimit::max(
            crate::ops::decryption::MAX_SHARE_BYTES + 64 * 1024,
        ))
        .layer(RequestBodyLimitLayer::new(
            crate::ops::decryption::MAX_SHARE_BYTES + 64 * 1024,
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    let small = Router::new()
        .route("/", get(public::home))
        .route("/static/{name}", get(pages::static_file))
        .route("/static/js/{name}", get(pages::static_script))
        .route("/lang/{code}", get(language::switch))
        .route("/brand.css", get(brand::stylesheet))
        .route("/brand/logo.png", get(brand::logo))
        .route("/e/{id}", get(public::election))
        .route("/e/{id}/results", get(results::results))
        .route("/e/{id}/track", get(public::track).post(public::check_receipt))
        .route("/e/{id}/trackers/{tracker}/proof", get(receipt_proof::download))
        .route("/e/{id}/board", get(board::overview))
        .route("/e/{id}/board/log", get(board::log))
        .route("/e/{id}/board/trackers", get(board::trackers))
        .route("/e/{id}/candidates/{contest}/{candidate}", get(candidates::profile))
        .route("/e/{id}/candidates/{contest}/{candidate}/photo", get(candidates::photo))
        .route("/v/{token}", get(voting::entry::from_link))
        .route("/vote", get(voting::entry::form).post(voting::entry::submit))
        .route("/ballot", get(voting::ballot::show).post(voting::ballot::change))
        .route("/ballot/review", post(voting::ballot::review))
        .route("/ballot/audit", post(voting::encrypted::audit))
        .route("/receipt", get(voting::cast::show_receipt))
        .route("/receipt/done", post(voting::cast::forget_receipt))
        .route("/receipt/download", post(voting::cast::download_receipt))
        .route("/staff", get(staff::dashboard::show))
        .route("/staff/login", get(staff::login::form).post(staff::login::submit))
        .route("/staff/logout", post(staff::login::logout))
        .route(
            "/staff/elections/{id}",
            get(staff::election::show).post(staff::election::act),
        )
        .route(
            "/staff/elections/{id}/delivery",
            get(staff::delivery::show).post(staff::delivery::act),
        )
        .route("/staff/elections/{id}/letters", post(staff::delivery::letters))
        .route("/staff/elections/{id}/replace", post(staff::delivery::replace))
        .route("/staff/elections/{id}/report", get(staff::report::show))
        .route(
            "/staff/elections/new",
            get(staff::builder::new_form).post(staff::builder::create),
        )
        .route(
            "/staff/elections/{id}/edit",
            get(staff::builder::edit_form).post(staff::builder::save),
        )
        .route(
            "/staff/elections/{id}/preview",
            get(staff::builder::preview).post(staff::builder::preview_check),
        )
        .route(
            "/staff/elections/{id}/texts/{lang}",
            get(staff::texts::show).post(staff::texts::save),
        )
        .route(
            "/staff/elections/{id}/candidates/{contest}/{candidate}",
            get(staff::candidates::show),
        )
        .route(
            "/staff/elections/{id}/candidates/{contest}/{candidate}/photo",
            get(staff::candidates::photo),
        )
        .route(
            "/staff/elections/{id}/candidates/{contest}/{candidate}/profile",
            get(staff::candidates::preview),
        )
        .route("/staff/accounts", get(staff::accounts::show).post(staff::accounts::act))
        .route(
            "/staff/organisation",
            get(staff::organisation::show).post(staff::organisation::save),
        )
        .route("/staff/account", get(staff::account::show))
        .route("/staff/account/password", post(staff::account::password))
        .route("/staff/account/totp", post(staff::account::enrol))
        .route("/api/v1/elections", get(api::list))
        .route("/api/v1/elections/{id}", get(api::election))
        .route("/api/v1/elections/{id}/encryption", get(api::encryption))
        .route("/api/v1/elections/{id}/ceremony", get(ceremony::api_board))
        .route("/api/v1/elections/{id}/ceremony/messages", post(ceremony::api_post))
        .route("/trustee", get(ceremony::show).post(ceremony::sign_in))
        .route("/trustee/sign-out", post(ceremony::sign_out))
        .route("/trustee/board.json", get(ceremony::download))
        .route("/trustee/message", post(ceremony::upload))
        .route("/trustee/decryption-request.json", get(decryption::download))
        .route(
            "/api/v1/elections/{id}/decryption/request",
            get(decryption::api_request),
        )
        .route("/api/v1/elections/{id}/record", get(api::record))
        .route("/api/v1/elections/{id}/results", get(api::results))
        .route("/api/v1/elections/{id}/trackers/{tracker}", get(api::tracker))
        .route("/api/v1/elections/{id}/checkpoint", get(api::checkpoint))
        .route("/api/v1/elections/{id}/log/checkpoint", get(api::tree_checkpoint))
        .route("/api/v1/elections/{id}/log/consistency", get(api::consistency))
        .route("/api/v1/elections/{id}/log/tile/{*path}", get(api::tile))
        .route(
            "/api/v1/elections/{id}/receipts/{tracker}/proof",
            get(api::inclusion_proof),
        )
        .route_layer(middleware::from_fn(paths::election_ids))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(paths::json_too_large))
        .fallback(public::not_found)
        .layer(middleware::from_fn_with_state(public_reads, public_gate::limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    let health = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    small
        .merge(uploads)
        .merge(partials)
        .merge(photos)
        .merge(encrypted_forms)
        .merge(encrypted_api)
        .merge(logo)
        .merge(health)
        .layer(middleware::from_fn_with_state(state.clone(), every_request))
        .with_state(state)
}

/// What every request of the main router runs in, from the outside in:
/// its security headers, the organisation's brand (`brand::scope`),
/// friendly timeouts, its request id and log line (`request_id::tag`) and
/// its pages' language (`language::choose`). One layer rather than five:
/// each `from_fn` layer costs every request a clone of the service inside
/// it and a boxed future.
async fn every_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let https = state.https();
    let api = req.uri().path().starts_with("/api/");
    let res = brand::scope(&state, async {
        let res = request_id::tagged(&state, req, |req| language::choose(req, |req| next.run(req))).await;
        friendly_timeouts(api, res)
    })
    .await;
    security_headers(https, res)
}

/// A request that ran out of time gets "unavailable, try again" in the
/// API's JSON or as a page, not a bare 408.
fn friendly_timeouts(api: bool, res: Response) -> Response {
    if res.status() != axum::http::StatusCode::REQUEST_TIMEOUT {
        return res;
    }
    let unavailable = OpError::Db(db::DbError::Connect("the request timed out".into()));
    if api {
        axum::response::IntoResponse::into_response(error::ApiError::from(unavailable))
    } else {
        axum::response::IntoResponse::into_response(error::PageError::from(unavailable))
    }
}

/// Headers on every response: a strict CSP with no inline script or style,
/// no framing, no referrer (voting links carry a token), no sniffing, no
/// caching of anything but static assets.
fn security_headers(https: bool, mut res: Response) -> Response {
    // Only a page that runs Teller's own script file (the encrypted
    // ballot's booth) says so, and gets `script-src 'self'` for it.
    let csp = match res.extensions().get::<pages::RunsScript>() {
        Some(_) => pages::CSP_WITH_SCRIPT,
        None => pages::CSP,
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// The routes of the operations listener (`--metrics-listen`): `/metrics`,
/// `/healthz` and `/readyz`, nothing else.
pub fn ops_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::serve))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(middleware::from_fn_with_state(state.clone(), request_id::tag))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// Serve until `shutdown` completes; also runs the scheduler.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    scheduler_tick: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(state, listener, None, None, scheduler_tick, shutdown).await
}

/// The value of the request's cookie `name`, if it has a non-empty one.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// Take SIGHUP and log it, so that it does not end the process.
async fn ignore_hangups() {
    #[cfg(unix)]
    if let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        while hangup.recv().await.is_some() {
            tracing::info!("SIGHUP: nothing to reload (no --tls-cert); still serving");
        }
    }
}

/// HTTPS served by Teller itself (`serve --tls-cert --tls-key`).
pub struct Https {
    /// The certificate and key, reloaded on SIGHUP or when the files change.
    pub certificates: Arc<tls::Certificates>,
    /// A plain-HTTP listener that redirects everything to HTTPS
    /// (`--http-redirect`), and where to.
    pub redirect: Option<(tokio::net::TcpListener, redirect::RedirectTarget)>,
}

/// [`serve`], over TLS when `https` is given (cookies are then `Secure` and
/// HSTS is sent whatever the public URL says), and with `/metrics` (and
/// health) on `ops_listener` when given: `/metrics` is never on the public
/// listener.
pub async fn serve_with(
    state: AppState,
    listener: tokio::net::TcpListener,
    https: Option<Https>,
    ops_listener: Option<tokio::net::TcpListener>,
    scheduler_tick: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    pages::check().map_err(std::io::Error::other)?;
    if let Err(e) = state.reload_organisation().await {
        // Pages then show the serve flags' office until the next check.
        tracing::warn!(error = %e, "reading the organisation profile failed");
    }
    let acceptor = match &https {
        Some(https) => {
            state.set_serves_tls();
            let config = https.certificates.server_config().map_err(std::io::Error::other)?;
            Some(tokio_rustls::TlsAcceptor::from(config))
        }
        None => None,
    };
    let _ = state.inner.scheduler_tick.set(scheduler_tick);
    let clients = state.client_settings().clone();
    // One shutdown for every listener.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let ticker = tokio::spawn(crate::scheduler::run(state.clone(), scheduler_tick));
    let sender = tokio::spawn(staff::delivery::run(state.clone()));
    let cosigner = tokio::spawn(crate::scheduler::witnesses(state.clone(), scheduler_tick));
    let brand_follower = tokio::spawn(brand::follow(state.clone()));
    let ops = ops_listener.map(|l| {
        let app = ops_router(state.clone());
        let clients = clients.clone();
        let until = until_stopped(stopped.clone());
        tokio::spawn(async move {
            if let Err(e) = server::run(l, app, clients, until).await {
                tracing::error!(error = %e, "the metrics listener failed");
            }
        })
    });
    let (reloader, redirector) = match https {
        Some(https) => (
            Some(tokio::spawn(https.certificates.clone().watch())),
            https.redirect.map(|(listener, target)| {
                tokio::spawn(server::run(
                    listener,
                    redirect::router(target),
                    clients.clone(),
                    until_stopped(stopped.clone()),
                ))
            }),
        ),
        // Without certificates there is nothing to reload, but a SIGHUP (a
        // `systemctl reload`, a closed terminal) must not stop the server,
        // as the signal's default action would.
        None => (Some(tokio::spawn(ignore_hangups())), None),
    };
    let main = server::run_with(
        listener,
        acceptor,
        router(state),
        clients,
        until_stopped(stopped.clone()),
    );
    let signal = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    let (result, ()) = tokio::join!(main, signal);
    if let Some(r) = redirector {
        let _ = r.await;
    }
    if let Some(ops) = ops {
        let _ = ops.await;
    }
    if let Some(r) = reloader {
        r.abort();
    }
    ticker.abort();
    sender.abort();
    cosigner.abort();
    brand_follower.abort();
    result
}
