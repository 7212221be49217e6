//! Serving certificate that follows the files on disk.
//!
//! [`CertStore`] is a rustls [`ResolvesServerCert`]: each handshake takes the
//! current pair, so replacing it affects new handshakes only and never drops
//! an established connection. [`CertStore::reload_if_changed`] is polled
//! (about every second) and compares the files' metadata *through* symlinks,
//! which catches both in-place rewrites and the `..data` symlink swap that
//! kubelet does for Secret volumes. A new pair that does not parse, or whose
//! key does not match its certificate, is rejected with one error log line and
//! the old pair keeps serving.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why a certificate/key pair could not be used. The underlying error is
/// part of each message, not a `source`, so error chains do not print it
/// twice.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("reading {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: no PEM certificate found")]
    NoCertificate { path: PathBuf },
    #[error("{path}: no PEM private key found (expected a PKCS#8, PKCS#1 or SEC1 key; is this the certificate?)")]
    NoKey { path: PathBuf },
    #[error("{path}: invalid PEM: {error}")]
    Pem {
        path: PathBuf,
        error: rustls_pki_types::pem::Error,
    },
    #[error("{path}: unsupported private key: {error}")]
    Key { path: PathBuf, error: rustls::Error },
    #[error("private key does not match certificate: {0}")]
    Mismatch(rustls::Error),
}

/// Metadata that changes whenever a file is rewritten or its symlink re-pointed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    ino: u64,
    dev: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = fs::metadata(path).ok()?;
    Some(Stamp {
        modified: m.modified().ok(),
        len: m.len(),
        ino: m.ino(),
        dev: m.dev(),
    })
}

/// Read and check a PEM certificate chain and private key.
pub fn load_pair(cert_path: &Path, key_path: &Path) -> Result<Arc<CertifiedKey>, CertError> {
    let read = |p: &Path| {
        fs::read(p).map_err(|error| CertError::Read {
            path: p.to_path_buf(),
            error,
        })
    };
    let cert_pem = read(cert_path)?;
    let key_pem = read(key_path)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| CertError::Pem {
            path: cert_path.to_path_buf(),
            error,
        })?;
    if chain.is_empty() {
        return Err(CertError::NoCertificate {
            path: cert_path.to_path_buf(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| match error {
        rustls_pki_types::pem::Error::NoItemsFound => CertError::NoKey {
            path: key_path.to_path_buf(),
        },
        error => CertError::Pem {
            path: key_path.to_path_buf(),
            error,
        },
    })?;
    let signing_key =
        rustls::crypto::ring::sign::any_supported_type(&key).map_err(|error| CertError::Key {
            path: key_path.to_path_buf(),
            error,
        })?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().map_err(CertError::Mismatch)?;
    Ok(Arc::new(certified))
}

/// The current serving pair, reloaded from its files on change.
#[derive(Debug)]
pub struct CertStore {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
    /// Stamps of the files the last reload attempt saw (successful or not).
    seen: Mutex<(Option<Stamp>, Option<Stamp>)>,
}

impl CertStore {
    /// Load the pair; fails if it cannot be used (no old pair to fall back to).
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Arc<Self>, CertError> {
        let seen = (stamp(cert_path), stamp(key_path));
        let pair = load_pair(cert_path, key_path)?;
        Ok(Arc::new(CertStore {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            current: RwLock::new(pair),
            seen: Mutex::new(seen),
        }))
    }

    /// The pair new handshakes get.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reload if either file changed since the last attempt. Returns
    /// `Ok(true)` when a new pair was installed, `Ok(false)` when nothing
    /// changed, and the error (old pair kept) when the new files are bad.
    pub fn reload_if_changed(&self) -> Result<bool, CertError> {
        let now = (stamp(&self.cert_path), stamp(&self.key_path));
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if *seen == now {
                return Ok(false);
            }
            *seen = now;
        }
        let pair = load_pair(&self.cert_path, &self.key_path)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = pair;
        Ok(true)
    }

    /// Poll for changes every `interval` until the task is dropped.
    pub async fn watch(
        self: Arc<Self>,
        interval: std::time::Duration,
        metrics: Arc<crate::metrics::Metrics>,
    ) {
        // `interval` panics on zero (the flag refuses 0; a library caller
        // gets the shortest useful period instead).
        let mut tick = tokio::time::interval(interval.max(std::time::Duration::from_millis(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.reload_if_changed() {
                Ok(true) => {
                    metrics.record_reload(true);
                    tracing::info!(
                        cert = %self.cert_path.display(),
                        "serving certificate reloaded"
                    )
                }
                Ok(false) => {}
                Err(e) => {
                    metrics.record_reload(false);
                    tracing::error!(
                        error = %e,
                        "new serving certificate rejected; keeping the previous one"
                    )
                }
            }
        }
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3, ALPN h2
/// and http/1.1) that takes its certificate from `store`.
pub fn server_config(store: Arc<CertStore>) -> anyhow::Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(store);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
