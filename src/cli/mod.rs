//! The `teller` command line.

mod bench;
pub mod demo;
pub mod demo_encrypted;
mod staff;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::db::{self, DbPool};
use crate::secrets::MasterSecret;

/// Teller: secure online board elections with a record anyone can verify.
///
/// Staff define an election in a TOML file, import the member roll, issue
/// voting tokens, open and close the polls, tally, and export the election
/// record, which auditors check offline with `teller-audit verify`.
#[derive(Parser)]
#[command(name = "teller", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Settings every command shares.
#[derive(Args, Clone)]
pub struct Global {
    /// The database: a SQLite file path (created if missing), or a
    /// postgres:// URL.
    #[arg(long, env = "TELLER_DATABASE_URL", default_value = "teller.db", global = true)]
    database_url: String,
    /// File holding the master secret: at least 32 bytes as hex, readable only
    /// by its owner. Make one with `teller secret new FILE`. Instead of a
    /// file, TELLER_MASTER_SECRET may hold the hex itself.
    #[arg(long, env = "TELLER_MASTER_SECRET_FILE", global = true)]
    master_secret_file: Option<PathBuf>,
    /// The address members reach Teller at, used in voting links (for
    /// example https://vote.example.org). Defaults to http://LISTEN.
    #[arg(long, env = "TELLER_PUBLIC_URL", global = true)]
    public_url: Option<String>,
}

/// HTTPS served by Teller itself, instead of behind a reverse proxy.
#[derive(Args, Clone, Default)]
pub struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (server certificate
    /// first), such as Let's Encrypt's fullchain.pem. Reloaded on SIGHUP and
    /// when the file changes, without dropping connections.
    #[arg(long, env = "TELLER_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key (PKCS#8, RSA or EC), such as
    /// privkey.pem.
    #[arg(long, env = "TELLER_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Also listen for plain HTTP on this address (such as 0.0.0.0:80) and
    /// redirect every request there to HTTPS (308).
    #[arg(long, env = "TELLER_HTTP_REDIRECT", requires = "tls_cert")]
    http_redirect: Option<String>,
}

/// The election office members are told to contact, on every page and in
/// every message.
#[derive(Args, Clone, Default)]
pub struct OfficeArgs {
    /// The election office's name, such as "Election Office, Society of
    /// Pharmacy Technicians". With --office-email, shown on every page and
    /// in every message.
    #[arg(long, env = "TELLER_OFFICE_NAME", requires = "office_email")]
    office_name: Option<String>,
    /// The election office's e-mail address.
    #[arg(long, env = "TELLER_OFFICE_EMAIL", requires = "office_name")]
    office_email: Option<String>,
    /// Its phone number.
    #[arg(long, env = "TELLER_OFFICE_PHONE", requires = "office_name")]
    office_phone: Option<String>,
    /// When it answers, such as "Monday to Friday, 9:00-17:00 Eastern".
    #[arg(long, env = "TELLER_OFFICE_HOURS", requires = "office_name")]
    office_hours: Option<String>,
}

impl OfficeArgs {
    /// Set the office for this process, if given.
    fn apply(self) -> Result<()> {
        if let (Some(name), Some(email)) = (self.office_name, self.office_email) {
            let office = crate::office::Office {
                name,
                email,
                phone: self.office_phone.unwrap_or_default(),
                hours: self.office_hours.unwrap_or_default(),
            }
            .checked()
            .map_err(anyhow::Error::msg)?;
            crate::office::set(office);
        }
        Ok(())
    }
}

/// Which key encrypts a backup.
#[derive(Args, Clone, Default)]
pub struct BackupKeyArgs {
    /// Encrypt (or decrypt) with this backup key file instead of a key
    /// derived from the master secret. Make one with `teller secret new
    /// backup.key`, and keep it apart from the backups.
    #[arg(long, env = "TELLER_BACKUP_KEY_FILE")]
    backup_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server: voter pages, public pages, the JSON API and the
    /// scheduler that seals ballots and opens and closes polls on time.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "TELLER_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Seconds between scheduler passes (seals, scheduled open and close).
        #[arg(long, default_value_t = 5)]
        scheduler_seconds: u64,
        /// Run no scheduler: nothing is sealed, opened, closed or purged by
        /// this instance. For looking at a restored backup (the restore
        /// drill) without it signing seals of its own.
        #[arg(long)]
        no_scheduler: bool,
        /// The mail server for invitations and reminders:
        /// smtp://user:pass@host:587?tls=required (STARTTLS), smtps://host:465
        /// (TLS), or smtp://127.0.0.1:25 (a local relay, no TLS).
        #[arg(long, env = "TELLER_SMTP_URL")]
        smtp_url: Option<String>,
        /// The sender of those messages, such as "Election Office <vote@example.org>".
        #[arg(long, env = "TELLER_MAIL_FROM")]
        mail_from: Option<String>,
        /// Reverse proxies whose forwarded client address is believed: a
        /// comma-separated list of addresses or networks, such as
        /// "127.0.0.1,::1" for nginx or Caddy on the same machine. Unset,
        /// every request's client is the TCP peer (behind a proxy, the
        /// proxy: all members then share its limits).
        #[arg(long, env = "TELLER_TRUSTED_PROXIES", default_value = "")]
        trusted_proxies: String,
        /// The header those proxies write the client's address in:
        /// x-forwarded-for or forwarded (RFC 7239). The other is ignored.
        #[arg(long, env = "TELLER_PROXY_HEADER", default_value = "x-forwarded-for")]
        proxy_header: String,
        /// Connections one client address (IPv6: one /64) may hold open at
        /// once; trusted proxies may hold 32 times as many.
        #[arg(long, env = "TELLER_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 128)]
        max_connections_per_client: usize,
        // HTTPS without a reverse proxy.
        #[command(flatten)]
        tls: TlsArgs,

        // Operations (issue 11): metrics and health.
        /// A second address for /metrics (with /healthz and /readyz), such
        /// as 127.0.0.1:9464. /metrics is served only there; unset, it is not
        /// served at all. Keep it private: see docs/SECURITY.md.
        #[arg(long, env = "TELLER_METRICS_LISTEN")]
        metrics_listen: Option<String>,

        // How members reach the election office: on every page and message.
        #[command(flatten)]
        office: OfficeArgs,

        // Retention of personal data (issue 11).
        /// Days after an election's result is final (certified, or tallied
        /// without a committee) before its personal data may be deleted.
        #[arg(long, env = "TELLER_RECOUNT_WINDOW_DAYS", default_value_t = crate::ops::purge::DEFAULT_RECOUNT_WINDOW_DAYS)]
        recount_window_days: u32,
        /// Delete elections' personal data automatically once the recount
        /// window has passed (as `teller election purge` does, unasked).
        #[arg(long, env = "TELLER_AUTO_PURGE")]
        auto_purge: bool,
    },
    /// Start a throw-away demo: a fresh SQLite database with the example
    /// board election, a few hundred sample members, polls open, and voter
    /// links printed so you can vote straight away.
    Demo {
        /// Where to keep the demo's database, master secret and tokens file
        /// (default: a new directory under the system's temporary directory).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Address and port to listen on.
        #[arg(long, env = "TELLER_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// How many sample members to put on the roll.
        #[arg(long, default_value_t = 300)]
        members: u32,
        /// Also print the encrypted election's trustees' folders and the
        /// commands trustee 1 ran (every trustee command and what it printed
        /// is in <data-dir>/trustees/ceremony.log either way).
        #[arg(long)]
        verbose: bool,
    },
    /// One of the demo trustees' `teller-audit trustee …` commands, run by
    /// `teller demo` in a process of its own so that what it prints goes to
    /// the ceremony's log file, not the demo's terminal.
    #[command(hide = true)]
    DemoTrusteeStep {
        /// The command line after `teller-audit`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Finish the demo's encrypted election: close its polls, then have
    /// two of its demo trustees decrypt the totals (running `teller-audit
    /// trustee decrypt` in their folders, as each trustee would) and upload
    /// their partial decryptions, which publishes the result.
    DemoDecrypt {
        /// The encrypted election's id (or a unique prefix), as `teller
        /// demo` printed it.
        election: String,
        /// The demo's data directory, as `teller demo` printed it.
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Create, list, open, close and tally elections.
    #[command(subcommand)]
    Election(staff::ElectionCommand),
    /// Import the member roll.
    #[command(subcommand)]
    Voters(staff::VotersCommand),
    /// Issue and re-issue voting tokens.
    #[command(subcommand)]
    Tokens(staff::TokensCommand),
    /// Seal waiting ballots into the log now, if at least the election's
    /// smallest batch (`min_ballots`) waits (the server also seals on the
    /// election's interval, and always at the close).
    Seal {
        /// Election id (or a unique prefix of it).
        election: String,
    },
    /// Show an election's state, turnout as of the last seal, and log head.
    Status {
        /// Election id (or a unique prefix of it).
        election: String,
    },
    /// Write the election record for auditors (`teller-audit verify`).
    /// Ballots and the tally are included once the election is tallied.
    Export {
        /// Election id (or a unique prefix of it).
        election: String,
        /// Where to write the record (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Back up the database, encrypted, while it runs (polls may be open).
    /// SQLite: a consistent snapshot of the live file. PostgreSQL: pg_dump
    /// (on PATH), its archive encrypted as it streams.
    Backup {
        /// Where to write the backup (must not exist yet).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        key: BackupKeyArgs,
    },
    /// Restore a backup into a new, empty database (the one --database-url
    /// names: a SQLite file that does not exist yet, or an empty PostgreSQL
    /// database), then bring its schema up to date. Nothing is written
    /// unless the whole backup authenticates.
    Restore {
        /// The backup file.
        file: PathBuf,
        #[command(flatten)]
        key: BackupKeyArgs,
    },
    /// Manage the master secret.
    #[command(subcommand)]
    Secret(staff::SecretCommand),
    /// Manage staff accounts for the web console.
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Measure casting throughput and latency over HTTP, the raw durable
    /// commit rate, export and verification, and server memory (BENCHMARKS.md).
    Bench(bench::BenchArgs),
}

/// Parse the command line and run it.
pub fn main() -> std::process::ExitCode {
    teller_audit::pipe::exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    let verbose = matches!(
        cli.command,
        Command::Serve { .. } | Command::Demo { .. } | Command::Bench(_)
    );
    let filter = tracing_subscriber::EnvFilter::try_from_env("TELLER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(if verbose { "info" } else { "warn" }));
    // TELLER_LOG_FORMAT=json: one JSON object a line, with the request's
    // span (its request id) on every line logged while serving it.
    let json = std::env::var("TELLER_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json().with_current_span(true).with_span_list(false).init();
    } else {
        logs.init();
    }
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let g = cli.global;
    match cli.command {
        Command::Serve {
            listen,
            scheduler_seconds,
            smtp_url,
            mail_from,
            trusted_proxies,
            proxy_header,
            max_connections_per_client,
            tls,
            metrics_listen,
            recount_window_days,
            auto_purge,
            office,
            no_scheduler,
        } => {
            office.apply()?;
            let clients = crate::web::client::ClientSettings {
                trusted_proxies: crate::web::client::ClientSettings::parse_proxies(&trusted_proxies)
                    .map_err(anyhow::Error::msg)
                    .context("--trusted-proxies")?,
                proxy_header: proxy_header
                    .parse()
                    .map_err(anyhow::Error::msg)
                    .context("--proxy-header")?,
                max_connections_per_client,
                max_connections_per_proxy: max_connections_per_client.saturating_mul(32),
            };
            let secret = g.master_secret()?;
            let mailer = match (smtp_url, mail_from) {
                (Some(url), Some(from)) => Some(crate::mail::Mailer::new(&url, &from).map_err(anyhow::Error::msg)?),
                (None, None) => None,
                _ => anyhow::bail!("give both --smtp-url and --mail-from to send e-mail, or neither"),
            };
            let pool = g.pool(16)?;
            let scheme = if tls.tls_cert.is_some() { "https" } else { "http" };
            let public_url = g.public_url.clone().unwrap_or_else(|| format!("{scheme}://{listen}"));
            serve_blocking(
                pool,
                secret,
                public_url,
                Listen {
                    public: &listen,
                    metrics: metrics_listen.as_deref(),
                },
                scheduler_seconds,
                None,
                Some(tls)
                    .filter(|t| t.tls_cert.is_some())
                    .map(|t| (t, g.public_url.clone())),
                move |state| {
                    if let Some(m) = mailer {
                        state.set_mailer(m);
                    }
                    state.set_client_settings(clients);
                    state.set_retention(crate::web::Retention {
                        window_days: recount_window_days,
                        auto_purge,
                    });
                    if no_scheduler {
                        state.turn_scheduler_off();
                    }
                },
            )
        }
        Command::Demo {
            data_dir,
            listen,
            members,
            verbose,
        } => demo::run(data_dir, &listen, g.public_url.clone(), members, verbose),
        Command::DemoTrusteeStep { args } => demo_encrypted::trustee_step(&args),
        Command::DemoDecrypt { election, data_dir } => demo_encrypted::decrypt(&data_dir, &election, &g.public_url()),
        Command::Election(c) => staff::election(&g, c),
        Command::Voters(c) => staff::voters(&g, c),
        Command::Tokens(c) => staff::tokens(&g, c),
        Command::Seal { election } => staff::seal(&g, &election),
        Command::Status { election } => staff::status(&g, &election),
        Command::Export { election, out } => staff::export(&g, &election, &out),
        Command::Backup { out, key } => staff::backup(&g, &key, &out),
        Command::Restore { file, key } => staff::restore(&g, &key, &file),
        Command::Secret(c) => staff::secret(c),
        Command::Staff(c) => staff::staff(&g, c),
        Command::Bench(args) => bench::run(args),
    }
}

impl BackupKeyArgs {
    fn key(&self, g: &Global) -> Result<crate::secrets::BackupKey> {
        match &self.backup_key_file {
            Some(path) => {
                crate::secrets::BackupKey::from_file(path).with_context(|| format!("backup key {}", path.display()))
            }
            None => Ok(g.master_secret()?.backup_key()),
        }
    }
}

impl Global {
    fn master_secret(&self) -> Result<MasterSecret> {
        if let Some(path) = &self.master_secret_file {
            return Ok(MasterSecret::from_file(path)?);
        }
        if let Ok(hex) = std::env::var("TELLER_MASTER_SECRET") {
            return MasterSecret::from_hex(&hex).context("TELLER_MASTER_SECRET");
        }
        anyhow::bail!(
            "Teller needs its master secret. Create one with `teller secret new master.key`, then pass \
             --master-secret-file master.key (or set TELLER_MASTER_SECRET_FILE)"
        )
    }

    fn pool(&self, size: u32) -> Result<DbPool> {
        let size = if db::is_postgres_url(&self.database_url) {
            size
        } else {
            size.min(8)
        };
        db::connect(&self.database_url, size).with_context(|| format!("database {}", shown_url(&self.database_url)))
    }

    fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:8080".to_string())
    }
}

/// A database URL without its password, for messages.
fn shown_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Where `serve` listens: the public address, and the private one for
/// metrics if any.
struct Listen<'a> {
    public: &'a str,
    metrics: Option<&'a str>,
}

/// Run the server on a fresh runtime until Ctrl-C or SIGTERM; `configure`
/// sets the mailer and client settings before it serves.
// Each argument is one of `serve`'s settings, shared with `demo`; a struct
// holding them would only be unpacked again here.
#[allow(clippy::too_many_arguments)]
fn serve_blocking(
    pool: DbPool,
    secret: MasterSecret,
    public_url: String,
    listen: Listen<'_>,
    scheduler_seconds: u64,
    banner: Option<String>,
    tls: Option<(TlsArgs, Option<String>)>,
    configure: impl FnOnce(&crate::web::AppState),
) -> Result<()> {
    // Read the certificate before anything listens: a bad pair stops here.
    let certificates = match &tls {
        Some((args, _)) => Some(tls_certificates(args)?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let Listen {
        public: listen,
        metrics: metrics_listen,
    } = listen;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
            format!("cannot listen on {listen} (is another program using it? try --listen 127.0.0.1:8081)")
        })?;
        let addr = listener.local_addr()?;
        let https = match (tls, certificates) {
            (Some((args, configured_url)), Some(certificates)) => {
                Some(https_setup(args, configured_url, certificates, addr.port()).await?)
            }
            _ => None,
        };
        let scheme = if https.is_some() { "https" } else { "http" };
        let ops_listener = match metrics_listen {
            Some(ops) => {
                let l = tokio::net::TcpListener::bind(ops)
                    .await
                    .with_context(|| format!("cannot listen on {ops} for metrics"))?;
                println!("Metrics and health are served on http://{}/metrics", l.local_addr()?);
                Some(l)
            }
            None => None,
        };
        match banner {
            Some(text) => println!("{text}"),
            None => println!("Teller is serving on {scheme}://{addr} (public address {public_url}); Ctrl-C stops it."),
        }
        if let Some((listener, _)) = https.as_ref().and_then(|h| h.redirect.as_ref()) {
            println!("Plain HTTP on http://{} redirects to HTTPS.", listener.local_addr()?);
        }
        let state = crate::web::AppState::new(pool, secret, public_url);
        configure(&state);
        crate::web::serve_with(
            state,
            listener,
            https,
            ops_listener,
            std::time::Duration::from_secs(scheduler_seconds.max(1)),
            shutdown_signal(),
        )
        .await?;
        Ok(())
    })
}

/// The certificate and key named by `--tls-cert` and `--tls-key`, checked.
fn tls_certificates(args: &TlsArgs) -> Result<std::sync::Arc<crate::web::tls::Certificates>> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        anyhow::bail!("give both --tls-cert and --tls-key to serve HTTPS, or neither");
    };
    let files = crate::web::tls::TlsFiles {
        cert: cert.clone(),
        key: key.clone(),
    };
    crate::web::tls::Certificates::load(files).context("cannot serve HTTPS")
}

/// HTTPS with `certificates`, and the redirecting listener if asked for.
async fn https_setup(
    args: TlsArgs,
    configured_url: Option<String>,
    certificates: std::sync::Arc<crate::web::tls::Certificates>,
    https_port: u16,
) -> Result<crate::web::Https> {
    let redirect = match args.http_redirect {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("--http-redirect: cannot listen on {addr}"))?;
            let target = crate::web::redirect::RedirectTarget::new(configured_url.as_deref(), https_port);
            Some((listener, target))
        }
        None => None,
    };
    Ok(crate::web::Https { certificates, redirect })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(super::shown_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::shown_url("teller.db"), "teller.db");
    }
}
