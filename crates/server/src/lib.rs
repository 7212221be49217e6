//! podgate-server: the HTTPS admission webhook transport.
//!
//! This crate owns everything between the socket and the decision engine:
//! TLS (rustls with ring, certificates reloaded from disk), HTTP/1.1 and
//! HTTP/2, request limits, AdmissionReview transport errors (400/413/415),
//! metrics, request logs and graceful shutdown. It decides nothing itself:
//! every verdict comes from `podgate-admission`, which is pure and
//! synchronous, so handlers call it inline (evaluation takes microseconds).
//!
//! Layout:
//! - [`args`]: the `serve` and `certs` command-line arguments (parse only).
//! - [`serve`]: runtime, listener, accept loop, graceful shutdown.
//! - [`routes`]: the axum router ([`router`]), testable without sockets.
//! - [`review`]: the seam between HTTP and the admission engine.
//! - [`tls`]: hot-reloading certificate resolver.
//! - [`certs`]: self-signed CA and serving certificate generation.
//! - [`metrics`]: Prometheus metrics with bounded labels.
//! - [`source`]: namespace and pod sources (file; cluster behind `cluster`).

pub mod args;
pub mod certs;
pub mod duration;
pub mod metrics;
pub mod review;
pub mod routes;
pub mod serve;
pub mod source;
pub mod telemetry;
pub mod tls;

#[cfg(feature = "cluster")]
pub mod cluster;

#[doc(hidden)]
pub mod testkit;

pub use args::{CertsArgs, LogFormat, ServeArgs};
pub use certs::run_certs;
pub use routes::{router, AppState};
pub use serve::{run_serve, Server};
