//! Command-line arguments for `podgate serve` and `podgate certs`.
//!
//! These structs only parse and validate flags; reading files, building the
//! TLS configuration and the admission engine happen in [`crate::serve`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

fn duration(s: &str) -> Result<Duration, String> {
    crate::duration::parse(s)
}

/// A duration that must not be zero: a zero reload period, request
/// deadline, handshake or header timeout would make every attempt fail.
fn positive_duration(s: &str) -> Result<Duration, String> {
    match duration(s)? {
        d if d.is_zero() => Err("must be greater than 0".to_string()),
        d => Ok(d),
    }
}

/// One `--dns-names` entry: a DNS name (RFC 1123 labels of letters, digits
/// and `-`, not starting or ending with `-`, at most 63 characters each and
/// 253 in all), optionally `*.` followed by one (a wildcard), or an IP
/// address. Surrounding spaces are dropped (`a, b`); an empty entry (`a,,b`,
/// a trailing comma) is an error, not silently skipped.
pub fn san_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        return Err("empty entry (two commas in a row or a trailing comma?)".into());
    }
    if name.parse::<std::net::IpAddr>().is_ok() {
        return Ok(name.to_string());
    }
    let host = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.len() <= 253 && host.split('.').all(label_ok) {
        return Ok(name.to_string());
    }
    Err(format!(
        "{name:?} is neither a DNS name (RFC 1123: dot-separated labels of letters, digits \
         and '-', optionally starting with \"*.\") nor an IP address"
    ))
}

/// `podgate serve`: run the HTTPS admission webhook.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,

    /// PEM certificate chain served to the API server (reloaded when it changes).
    #[arg(long, value_name = "FILE", required_unless_present = "insecure_http")]
    pub tls_cert_file: Option<PathBuf>,

    /// PEM private key for --tls-cert-file (reloaded when it changes).
    #[arg(long, value_name = "FILE", required_unless_present = "insecure_http")]
    pub tls_key_file: Option<PathBuf>,

    /// Serve plain HTTP instead of HTTPS. For local debugging only: the API
    /// server only calls webhooks over HTTPS.
    #[arg(long, conflicts_with_all = ["tls_cert_file", "tls_key_file"])]
    pub insecure_http: bool,

    /// How often to check the certificate and key files for changes.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = positive_duration)]
    pub tls_reload_interval: Duration,

    /// Admission configuration file (YAML or JSON). Defaults apply without it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// A podgate.yaml (the file `podgate scan` reads) whose `exceptions`
    /// are added to the admission configuration's; other keys are checked
    /// but not used. The exceptions mode becomes `enforce` unless --config
    /// sets `exceptions.mode`.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<PathBuf>,

    /// Read Namespace objects (and optionally Pods, for the namespace
    /// dry-run) from a YAML/JSON file instead of a cluster. For local runs and tests.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["kubeconfig", "in_cluster"])]
    pub namespaces: Option<PathBuf>,

    /// Watch Namespaces and list Pods using this kubeconfig (needs the `cluster` build feature).
    #[arg(long, value_name = "FILE", conflicts_with = "in_cluster")]
    pub kubeconfig: Option<PathBuf>,

    /// Watch Namespaces and list Pods with the pod's service account (needs the `cluster` build feature).
    #[arg(long)]
    pub in_cluster: bool,

    /// Largest request body accepted; larger ones get HTTP 413. The default
    /// matches kube-apiserver's own request limit (3 MiB).
    #[arg(long, value_name = "BYTES", default_value_t = 3 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Deadline for a review when the API server sends no `?timeout=`.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = positive_duration)]
    pub default_timeout: Duration,

    /// After SIGTERM, keep serving (with /readyz failing) this long so that
    /// endpoints are updated before the listener closes.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = duration)]
    pub shutdown_delay: Duration,

    /// After the listener closes, wait at most this long for in-flight requests.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = duration)]
    pub shutdown_grace: Duration,

    /// Give up on a TLS handshake after this long.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = positive_duration)]
    pub handshake_timeout: Duration,

    /// Close an HTTP/1.1 connection that has not sent a complete request
    /// header for this long (idle keep-alive included). Longer than the API
    /// server's idle timeout (90 s, Go's default) so that the client, never
    /// podgate, closes idle connections: Go does not retry a POST that
    /// races with a server-side close.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = positive_duration)]
    pub idle_timeout: Duration,

    /// Tokio worker threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub worker_threads: usize,

    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl ServeArgs {
    /// Arguments for a server on `listen` with the given certificate files
    /// and defaults for everything else (used by tests and benchmarks).
    pub fn new(listen: SocketAddr, cert: Option<PathBuf>, key: Option<PathBuf>) -> Self {
        ServeArgs {
            listen,
            insecure_http: cert.is_none(),
            tls_cert_file: cert,
            tls_key_file: key,
            tls_reload_interval: Duration::from_secs(1),
            config: None,
            exceptions: None,
            namespaces: None,
            kubeconfig: None,
            in_cluster: false,
            max_body_bytes: 3 * 1024 * 1024,
            default_timeout: Duration::from_secs(10),
            shutdown_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(20),
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            worker_threads: 0,
            log_format: LogFormat::Text,
        }
    }
}

/// `podgate certs`: create a CA and a serving certificate for the webhook Service.
#[derive(Clone, Debug, clap::Args)]
pub struct CertsArgs {
    /// Directory to write ca.crt, tls.crt and tls.key into.
    #[arg(long, value_name = "DIR", default_value = "certs")]
    pub out_dir: PathBuf,

    /// Service name of the webhook.
    #[arg(long, default_value = "podgate")]
    pub service: String,

    /// Namespace of the webhook Service.
    #[arg(long, default_value = "podgate-system")]
    pub namespace: String,

    /// Extra DNS names or IP addresses for the serving certificate
    /// (comma-separated; `*.example.com` wildcards allowed). Each must be a
    /// valid DNS name or IP address.
    #[arg(long, value_name = "NAMES", value_delimiter = ',', value_parser = san_name)]
    pub dns_names: Vec<String>,

    /// Validity of both certificates, in days.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,

    /// Overwrite existing files in --out-dir.
    #[arg(long)]
    pub force: bool,
}
