//! The HTTP surface: admission endpoints, health, readiness and metrics.
//!
//! Transport rules (as upstream's webhook server): anything that parses as
//! an AdmissionReview gets HTTP 200 with the verdict inside; HTTP errors are
//! only for transport problems — 415 wrong content type, 413 body too large,
//! 400 not an AdmissionReview (short message), 500 an internal failure whose
//! details are logged, never sent.

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;

use podgate_admission::RequestIdentity;

use crate::metrics::Metrics;
use crate::review::{Endpoint, Reviewer};

/// The API server never waits longer than 30 s for a webhook.
const MAX_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything handlers share.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    reviewer: Arc<dyn Reviewer>,
    metrics: Arc<Metrics>,
    synced: Arc<AtomicBool>,
    draining: AtomicBool,
    max_body_bytes: usize,
    default_timeout: Duration,
}

impl AppState {
    /// State with a 3 MiB body limit, a 10 s default deadline and a
    /// namespace source that is already synced.
    pub fn new(reviewer: Arc<dyn Reviewer>, metrics: Arc<Metrics>) -> Self {
        Self::with_options(
            reviewer,
            metrics,
            Arc::new(AtomicBool::new(true)),
            3 * 1024 * 1024,
            Duration::from_secs(10),
        )
    }

    /// `synced` turns `/readyz` green once the namespace source has synced.
    pub fn with_options(
        reviewer: Arc<dyn Reviewer>,
        metrics: Arc<Metrics>,
        synced: Arc<AtomicBool>,
        max_body_bytes: usize,
        default_timeout: Duration,
    ) -> Self {
        AppState {
            inner: Arc::new(Inner {
                reviewer,
                metrics,
                synced,
                draining: AtomicBool::new(false),
                max_body_bytes,
                default_timeout,
            }),
        }
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// Fail `/readyz` from now on (shutdown has begun).
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.inner.synced.load(Ordering::SeqCst) && !self.is_draining()
    }

    /// Shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }
}

/// The webhook's router. Serve it with any hyper server, or call it
/// in-process with `tower::ServiceExt::oneshot`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/imagereview", post(image_review))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            close_when_draining,
        ))
        .with_state(state)
}

/// Once shutdown has begun, every HTTP/1.1 answer carries
/// `Connection: close`, so the client closes its keep-alive connection
/// right after reading it. kube-apiserver keeps reusing an idle webhook
/// connection regardless of readiness (kubernetes/kubernetes#127335), and a
/// connection the server closes while the apiserver is sending on it fails
/// that admission call (a POST is not retried). Closing after an answer
/// makes the apiserver dial again, through the Service, to a ready replica.
/// (HTTP/2 connections get GOAWAY when the delay ends and the drain starts;
/// kube-apiserver calls admission webhooks over HTTP/1.1.)
async fn close_when_draining(
    State(st): State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let http11 = req.version() == axum::http::Version::HTTP_11;
    let mut resp = next.run(req).await;
    if http11 && st.is_draining() {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

async fn validate(State(st): State<AppState>, req: Request) -> Response {
    review(st, Endpoint::Validate, req).await
}

async fn mutate(State(st): State<AppState>, req: Request) -> Response {
    review(st, Endpoint::Mutate, req).await
}

async fn image_review(State(st): State<AppState>, req: Request) -> Response {
    review(st, Endpoint::ImageReview, req).await
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(st): State<AppState>) -> Response {
    if st.is_ready() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

async fn metrics(State(st): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        st.inner.metrics.encode(),
    )
        .into_response()
}

fn plain(code: StatusCode, msg: &'static str) -> Response {
    (
        code,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        msg,
    )
        .into_response()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// The API server's `?timeout=10s` (how long it waits for us), capped at 30 s.
fn requested_timeout(query: Option<&str>) -> Option<Duration> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("timeout="))
        .and_then(|v| crate::duration::parse(v).ok())
        .map(|d| d.min(MAX_TIMEOUT))
}

/// The few request fields a log line shows, read from the start of the
/// body only: kube-apiserver writes `uid`, `kind`, `name`, `namespace` and
/// `operation` before `object`, so the scan stops there instead of walking
/// the whole (possibly megabytes of) object a second time.
#[derive(Debug, Default, PartialEq, Eq)]
struct Peeked {
    uid: String,
    kind: String,
    namespace: String,
    name: String,
    operation: String,
}

/// Marker error: stop scanning, we have what we need.
const PEEK_DONE: &str = "podgate: peek done";

fn peek(body: &[u8]) -> Peeked {
    use serde::de::DeserializeSeed;
    let mut out = Peeked::default();
    let mut de = serde_json::Deserializer::from_slice(body);
    // Errors (including the early stop) just end the scan.
    let _ = ReviewSeed(&mut out).deserialize(&mut de);
    out
}

struct ReviewSeed<'p>(&'p mut Peeked);
struct RequestSeed<'p>(&'p mut Peeked);

impl<'de> serde::de::DeserializeSeed<'de> for ReviewSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ReviewSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an AdmissionReview")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "request" {
                map.next_value_seed(RequestSeed(self.0))?;
                return Err(serde::de::Error::custom(PEEK_DONE));
            }
            map.next_value::<serde::de::IgnoredAny>()?;
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for RequestSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

#[derive(Deserialize)]
struct KindOnly {
    #[serde(default)]
    kind: String,
}

impl<'de> serde::de::Visitor<'de> for RequestSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an AdmissionRequest")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let p = self.0;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "uid" => p.uid = map.next_value()?,
                "kind" => p.kind = map.next_value::<KindOnly>()?.kind,
                "namespace" => p.namespace = map.next_value()?,
                "name" => p.name = map.next_value()?,
                "operation" => p.operation = map.next_value()?,
                "object" | "oldObject" => return Err(serde::de::Error::custom(PEEK_DONE)),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

enum Failure {
    Status(StatusCode, &'static str),
    Bad(String),
}

/// What one review's log line says about the request.
#[derive(Default)]
struct Identity {
    request: RequestIdentity,
    operation: &'static str,
}

async fn review(st: AppState, endpoint: Endpoint, req: Request) -> Response {
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    let read = read_body(&st, &parts, body).await;

    // From here on everything is synchronous (evaluation is microseconds of
    // CPU, run inline). The request's identity for the log line comes from
    // the engine, which decodes it anyway; only a request the engine
    // rejects is peeked at to find out what it was.
    let mut who = Identity::default();
    let outcome = read.and_then(|bytes| {
        let r = evaluate(&st, endpoint, &parts, &bytes, start, &mut who);
        if r.is_err() && tracing::enabled!(tracing::Level::INFO) {
            let p = peek(&bytes);
            who.request = RequestIdentity {
                uid: p.uid,
                kind: p.kind,
                namespace: p.namespace,
                name: p.name,
            };
        }
        r
    });
    let (status, decision, response) = match outcome {
        Ok((decision, body)) => {
            let mut resp = Response::new(Body::from(body));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            (StatusCode::OK, decision, resp)
        }
        Err(Failure::Status(code, msg)) => (code, "error", plain(code, msg)),
        Err(Failure::Bad(msg)) => {
            let resp = (
                StatusCode::BAD_REQUEST,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                )],
                msg,
            )
                .into_response();
            (StatusCode::BAD_REQUEST, "error", resp)
        }
    };
    let elapsed = start.elapsed();
    st.inner
        .metrics
        .record_request(endpoint, status.as_u16(), decision, elapsed);
    // One line per review: denials and errors at INFO, everything else
    // (allowed, exempt, warned) at DEBUG. At thousands of reviews a second
    // a line per allowed request is noise (the API server's audit log has
    // them all) and cost a fifth of the server's CPU in the load benchmark.
    macro_rules! review_line {
        ($level:ident) => {
            tracing::$level!(
                endpoint = endpoint.as_str(),
                uid = who.request.uid.as_str(),
                kind = who.request.kind.as_str(),
                namespace = who.request.namespace.as_str(),
                name = who.request.name.as_str(),
                operation = who.operation,
                status = status.as_u16(),
                decision,
                latency_us = elapsed.as_micros() as u64,
                "admission review"
            )
        };
    }
    if decision == "deny" || decision == "error" || status != StatusCode::OK {
        review_line!(info);
    } else {
        review_line!(debug);
    }
    response
}

/// Transport checks and the body: 415, 413, or the bytes.
async fn read_body(
    st: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<Bytes, Failure> {
    if !is_json(&parts.headers) {
        return Err(Failure::Status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type must be application/json",
        ));
    }
    let limit = st.inner.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Failure::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        ));
    }
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Failure::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        )),
        Err(e) => {
            tracing::warn!(error = %e, "reading request body failed");
            Err(Failure::Status(
                StatusCode::BAD_REQUEST,
                "could not read request body",
            ))
        }
    }
}

/// Run the engine on a body: the response bytes, or a 400/500. Fills in
/// `who` from the engine's verdict.
fn evaluate(
    st: &AppState,
    endpoint: Endpoint,
    parts: &axum::http::request::Parts,
    bytes: &[u8],
    start: Instant,
    who: &mut Identity,
) -> Result<(&'static str, Vec<u8>), Failure> {
    let timeout = requested_timeout(parts.uri.query()).unwrap_or(st.inner.default_timeout);
    let deadline = start + timeout;
    let reviewer = &st.inner.reviewer;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        reviewer.review(endpoint, bytes, deadline)
    }));
    match result {
        Ok(Ok(mut verdict)) => {
            st.inner.metrics.record_verdict(&verdict);
            *who = Identity {
                request: std::mem::take(&mut verdict.request),
                operation: verdict.operation,
            };
            Ok((verdict.decision(), verdict.body))
        }
        Ok(Err(bad)) => {
            tracing::info!(error = %bad, "rejected malformed admission request");
            Err(Failure::Bad(bad.0))
        }
        Err(_) => {
            tracing::error!("admission engine panicked");
            Err(Failure::Status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/yaml"),
        );
        assert!(!is_json(&h));
    }

    #[test]
    fn peek_reads_the_head_of_a_review() {
        let body = br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":
            {"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"name":"p","namespace":"ns\u0031",
             "operation":"CREATE","object":{"huge":[1,2,3]},"uid2":"x"}}"#;
        assert_eq!(
            peek(body),
            Peeked {
                uid: "u-1".into(),
                kind: "Pod".into(),
                namespace: "ns1".into(),
                name: "p".into(),
                operation: "CREATE".into(),
            }
        );
        // Fields after the object are not read; broken input yields what was read.
        let late = br#"{"request":{"object":{},"uid":"late"}}"#;
        assert_eq!(peek(late).uid, "");
        assert_eq!(peek(b"{not json").uid, "");
        assert_eq!(peek(br#"{"request":{"uid":"a","#).uid, "a");
    }

    #[test]
    fn timeouts_from_the_query() {
        assert_eq!(
            requested_timeout(Some("timeout=10s")),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            requested_timeout(Some("a=b&timeout=2s")),
            Some(Duration::from_secs(2))
        );
        assert_eq!(requested_timeout(Some("timeout=5m")), Some(MAX_TIMEOUT));
        assert_eq!(requested_timeout(Some("timeout=bogus")), None);
        assert_eq!(requested_timeout(None), None);
    }
}
