//! HTTPS without a proxy: the certificate and key `teller serve --tls-cert
//! --tls-key` reads, the rustls configuration it serves with, and reloading
//! the pair while connections stay open.
//!
//! rustls on the ring provider, TLS 1.2 and 1.3 only, ALPN `http/1.1` (the
//! server speaks HTTP/1.1). The current pair sits behind a lock in
//! [`Certificates`], which rustls asks at every handshake: a reload swaps it
//! for new handshakes, and connections already open keep the session they
//! negotiated. A new pair that cannot be read, or whose key does not match
//! its certificate, is logged and the old one kept.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

/// How often the certificate and key files are checked for a change.
pub const POLL_INTERVAL: Duration = Duration::from_secs(3);

/// Why a certificate and key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        /// "certificate" or "key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The certificate file holds no PEM certificate.
    #[error("{0} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate(PathBuf),
    /// The key file holds no PEM private key.
    #[error(
        "{0} holds no PEM private key (expected a PKCS#8, RSA or EC private key: -----BEGIN PRIVATE KEY-----, \
         -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)"
    )]
    NoKey(PathBuf),
    /// The PEM text is damaged.
    #[error("{path} is not valid PEM: {reason}")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// rustls refused the key, or the key is not the certificate's.
    #[error("the key in {key} cannot be used with the certificate in {cert}: {reason}")]
    Unusable {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why (for a mismatch: the key's public half is not the certificate's).
        reason: String,
    },
}

/// The files a certificate and its key are read from.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The PEM certificate chain, server certificate first.
    pub cert: PathBuf,
    /// The PEM private key (PKCS#8, RSA or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// Read and check the pair: both files parse, and the key is the
    /// certificate's.
    pub fn load(&self) -> Result<Arc<CertifiedKey>, TlsError> {
        let cert_pem = read(&self.cert, "certificate")?;
        let key_pem = read(&self.key, "key")?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad_pem(&self.cert, e))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate(self.cert.clone()));
        }
        let key = match PrivateKeyDer::from_pem_slice(&key_pem) {
            Ok(key) => key,
            Err(rustls_pki_types::pem::Error::NoItemsFound) => return Err(TlsError::NoKey(self.key.clone())),
            Err(e) => return Err(bad_pem(&self.key, e)),
        };
        let unusable = |e: rustls::Error| TlsError::Unusable {
            cert: self.cert.clone(),
            key: self.key.clone(),
            reason: e.to_string(),
        };
        let certified = CertifiedKey::from_der(chain, key, &provider()).map_err(unusable)?;
        // `from_der` lets a key whose public half it cannot compute pass;
        // ring computes it for every key it loads, so insist.
        certified.keys_match().map_err(unusable)?;
        Ok(Arc::new(certified))
    }

    /// The files' modification times, to notice a replacement.
    fn stamp(&self) -> (Option<SystemTime>, Option<SystemTime>) {
        let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        (mtime(&self.cert), mtime(&self.key))
    }
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

fn bad_pem(path: &Path, e: rustls_pki_types::pem::Error) -> TlsError {
    TlsError::BadPem {
        path: path.to_path_buf(),
        reason: format!("{e:?}"),
    }
}

/// The ring crypto provider: the one the project builds.
fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The pair new handshakes use, swapped by [`Certificates::reload`].
#[derive(Debug)]
pub struct Certificates {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    /// Load the pair once; an error here stops the server from starting.
    pub fn load(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let current = files.load()?;
        Ok(Arc::new(Certificates {
            files,
            current: RwLock::new(current),
        }))
    }

    /// Read the files again and use the new pair for new handshakes. On an
    /// error the pair in use stays, and the error is returned to be logged.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = self.files.load()?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// The pair in use now.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The rustls server configuration: TLS 1.2 and 1.3, no client
    /// certificates, ALPN `http/1.1`, the certificate from `self`.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Unusable {
                cert: self.files.cert.clone(),
                key: self.files.key.clone(),
                reason: e.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Reload on SIGHUP and whenever either file's modification time
    /// changes (checked every [`POLL_INTERVAL`]), until the task is dropped.
    pub async fn watch(self: Arc<Self>) {
        #[cfg(unix)]
        let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .map_err(
                |e| tracing::warn!(error = %e, "cannot listen for SIGHUP; certificates reload on file change only"),
            )
            .ok();
        let mut seen = self.files.stamp();
        let mut tick = tokio::time::interval(POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            #[cfg(unix)]
            let hup = async {
                match hangup.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let hup = std::future::pending::<()>();
            let why = tokio::select! {
                () = hup => "SIGHUP",
                _ = tick.tick() => {
                    let now = self.files.stamp();
                    if now == seen {
                        continue;
                    }
                    "the files changed"
                }
            };
            // A certificate renewal writes two files; give the second a moment.
            if why != "SIGHUP" {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            seen = self.files.stamp();
            let this = self.clone();
            let result = tokio::task::spawn_blocking(move || this.reload()).await;
            match result {
                Ok(Ok(())) => {
                    tracing::info!(reason = why, cert = %self.files.cert.display(), "TLS certificate reloaded")
                }
                Ok(Err(e)) => tracing::error!(
                    reason = why,
                    error = %e,
                    "TLS certificate NOT reloaded; still serving the previous one"
                ),
                Err(e) => tracing::error!(error = %e, "TLS certificate reload failed"),
            }
        }
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_named() {
        let files = TlsFiles {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        };
        let e = files.load().unwrap_err().to_string();
        assert!(e.contains("cannot read certificate /nonexistent/cert.pem"), "{e}");
    }

    #[test]
    fn files_without_pem_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let e = TlsFiles { cert, key }.load().unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate(_)), "{e}");
    }
}
