//! `podgate serve`: runtime, listener, TLS, accept loop and graceful shutdown.
//!
//! Shutdown sequence on SIGTERM/SIGINT: `/readyz` starts failing, the server
//! keeps serving for `--shutdown-delay` (so endpoints drop it first), then
//! stops accepting, tells every connection to finish (HTTP/1 closes after the
//! current response, HTTP/2 sends GOAWAY) and waits for in-flight requests at
//! most `--shutdown-grace`.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::args::ServeArgs;
use crate::metrics::Metrics;
use crate::review::EngineReviewer;
use crate::routes::{router, AppState};
use crate::source::FileSource;
use crate::tls::{server_config, CertStore};
use podgate_admission as admission;
use podgate_core::load;

/// Bytes read from a connection's socket at once (see the accept loop).
const READ_BUFFER: usize = 16 * 1024;

/// Build a runtime, install the ring crypto provider, serve until SIGTERM or
/// SIGINT and drain.
pub fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let _log_guard = crate::telemetry::init(args.log_format);
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if args.worker_threads > 0 {
        rt.worker_threads(args.worker_threads);
    }
    let rt = rt.build().context("starting the async runtime")?;
    rt.block_on(async {
        let server = Server::bind(&args).await?;
        server.run(shutdown_signal()).await
    })
}

/// Resolves on the first SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

/// Read the admission configuration (one YAML or JSON document). Errors
/// name the file, the line and column of the offending field, and its path.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<admission::AdmissionConfig> {
    let Some(path) = path else {
        return Ok(admission::AdmissionConfig::default());
    };
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut docs = load::load(&bytes, &load::Limits::default()).into_iter();
    let doc = match (docs.next(), docs.next()) {
        (None, _) => return Ok(admission::AdmissionConfig::default()),
        (Some(doc), None) => doc.map_err(|e| anyhow!("{}: {e}", path.display()))?,
        (Some(_), Some(_)) => bail!("{}: expected one document", path.display()),
    };
    admission::AdmissionConfig::from_yaml_value(doc.value).map_err(|e| {
        let pos = e.position(&doc.positions);
        anyhow!("{}:{}:{}: {e}", path.display(), pos.line, pos.column)
    })
}

/// The `exceptions` of a podgate.yaml (`--exceptions`), validated as
/// `podgate scan` validates them; errors name the file, line and column.
pub fn load_exceptions(path: &Path) -> anyhow::Result<Vec<podgate_core::config::Exception>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    match podgate_core::config::Config::parse(&bytes) {
        Ok(c) => Ok(c.exceptions),
        Err(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message))
                .collect();
            bail!("--exceptions: invalid file\n{}", lines.join("\n"))
        }
    }
}

/// The admission configuration from `--config`, plus the exceptions of
/// `--exceptions`.
pub fn load_admission_config(args: &ServeArgs) -> anyhow::Result<admission::AdmissionConfig> {
    let mut config = load_config(args.config.as_deref())?;
    if let Some(path) = &args.exceptions {
        let entries = load_exceptions(path)?;
        tracing::info!(
            file = %path.display(),
            exceptions = entries.len(),
            "exceptions loaded"
        );
        config.exceptions.extend(entries);
    }
    for (i, e) in config.exceptions.entries.iter().enumerate() {
        let custom = e
            .checks
            .iter()
            .zip(&e.targets)
            .filter(|(_, t)| !t.is_builtin());
        for (check, _) in custom {
            tracing::warn!(
                exception = i,
                check = %check,
                "exception names a rule or image-policy code podgate does not report"
            );
        }
    }
    Ok(config)
}

type Sources = (
    Arc<dyn admission::NamespaceLookup>,
    Arc<dyn admission::PodLister>,
    Arc<AtomicBool>,
);

async fn sources(args: &ServeArgs) -> anyhow::Result<Sources> {
    if let Some(path) = &args.namespaces {
        let src = Arc::new(FileSource::from_file(path)?);
        tracing::info!(
            file = %path.display(),
            namespaces = src.namespace_count(),
            "namespace source: file"
        );
        return Ok((src.clone(), src, Arc::new(AtomicBool::new(true))));
    }
    if args.kubeconfig.is_some() || args.in_cluster {
        #[cfg(feature = "cluster")]
        {
            return crate::cluster::start(args.kubeconfig.as_deref()).await;
        }
        #[cfg(not(feature = "cluster"))]
        bail!("this build has no cluster support (build with the `cluster` feature) — use --namespaces FILE");
    }
    // Without labels every pod review would fail its namespace lookup (500,
    // and with `failurePolicy: Fail` every pod in the cluster denied) while
    // the webhook looked ready: refuse to start instead.
    bail!(
        "no namespace source: pass --in-cluster, --kubeconfig FILE, or --namespaces FILE \
         (Namespace objects; an empty file such as /dev/null for none)"
    )
}

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    acceptor: Option<TlsAcceptor>,
    certs: Option<Arc<CertStore>>,
    args: ServeArgs,
}

impl Server {
    /// Build the engine from `args` (config, namespace source) and bind.
    pub async fn bind(args: &ServeArgs) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new());
        let config = load_admission_config(args)?;
        let (namespaces, pods, synced) = sources(args).await?;
        let engine = admission::Admission::new(config, namespaces, pods);
        let state = AppState::with_options(
            EngineReviewer::new(engine),
            metrics,
            synced,
            args.max_body_bytes,
            args.default_timeout,
        );
        Self::bind_with_state(args, state).await
    }

    /// Bind with a ready-made state (tests with a stub reviewer).
    pub async fn bind_with_state(args: &ServeArgs, state: AppState) -> anyhow::Result<Self> {
        let (acceptor, certs) = if args.insecure_http {
            tracing::warn!(
                "!!! --insecure-http: serving PLAIN HTTP without TLS. The API server cannot call this; for local debugging only !!!"
            );
            (None, None)
        } else {
            let (Some(cert), Some(key)) = (&args.tls_cert_file, &args.tls_key_file) else {
                bail!("--tls-cert-file and --tls-key-file are required (or --insecure-http for local debugging)");
            };
            let store = CertStore::load(cert, key).context("loading the serving certificate")?;
            let config = server_config(store.clone())?;
            (Some(TlsAcceptor::from(Arc::new(config))), Some(store))
        };
        let listener = TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        Ok(Server {
            listener,
            state,
            acceptor,
            certs,
            args: args.clone(),
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until `shutdown` resolves, then drain.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let Server {
            listener,
            state,
            acceptor,
            certs,
            args,
        } = self;
        let reload = certs.map(|store| {
            tokio::spawn(store.watch(args.tls_reload_interval, state.metrics().clone()))
        });
        tracing::info!(
            addr = %listener.local_addr()?,
            tls = acceptor.is_some(),
            "podgate webhook listening"
        );

        let app = router(state.clone());
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(args.idle_timeout)
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(250);
        let graceful = GracefulShutdown::new();

        let delay = args.shutdown_delay;
        let draining_state = state.clone();
        let shutdown = async move {
            shutdown.await;
            draining_state.start_draining();
            if !delay.is_zero() {
                tracing::info!(
                    ?delay,
                    "readiness off; still serving during the shutdown delay"
                );
                tokio::time::sleep(delay).await;
            }
        };
        tokio::pin!(shutdown);

        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(x) => x,
                        Err(e) => {
                            // EMFILE and friends: back off instead of spinning.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = tcp.set_nodelay(true);
                    // rustls reads at most 4 KiB per call; a typical pod
                    // review (5 KB and up) then cost two recvfrom(2). A
                    // buffer in front of the socket makes it one.
                    let tcp = tokio::io::BufReader::with_capacity(READ_BUFFER, tcp);
                    let watcher = graceful.watcher();
                    let builder = builder.clone();
                    let service = TowerToHyperService::new(app.clone());
                    let acceptor = acceptor.clone();
                    let handshake_timeout = args.handshake_timeout;
                    tokio::spawn(async move {
                        match acceptor {
                            Some(acceptor) => {
                                match tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)).await {
                                    Ok(Ok(tls)) => serve_connection(tls, builder, service, watcher, peer).await,
                                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                                }
                            }
                            None => serve_connection(tcp, builder, service, watcher, peer).await,
                        }
                    });
                }
            }
        }

        drop(listener);
        tracing::info!(
            connections = graceful.count(),
            grace = ?args.shutdown_grace,
            "listener closed; draining in-flight requests"
        );
        match tokio::time::timeout(args.shutdown_grace, graceful.shutdown()).await {
            Ok(()) => tracing::info!("all connections drained"),
            Err(_) => tracing::warn!("shutdown grace elapsed; closing remaining connections"),
        }
        if let Some(task) = reload {
            task.abort();
        }
        Ok(())
    }
}

async fn serve_connection<I>(
    io: I,
    builder: auto::Builder<TokioExecutor>,
    service: TowerToHyperService<axum::Router>,
    watcher: Watcher,
    peer: SocketAddr,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .into_owned();
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
