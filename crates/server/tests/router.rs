//! The router in-process (`tower::ServiceExt::oneshot`) with stub reviewers:
//! error mapping, limits, deadlines, readiness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use http_body_util::BodyExt;
use hyper::Request;
use podgate_server::metrics::Metrics;
use podgate_server::review::{BadRequest, Endpoint, Reviewer, Verdict};
use podgate_server::{router, AppState};
use tower::ServiceExt;

/// Answers `{"ok":true}`, records the deadline, panics on `"panic"` and
/// rejects `"bad"`.
#[derive(Default)]
struct Stub {
    deadlines: Mutex<Vec<(Endpoint, Duration)>>,
}

impl Reviewer for Stub {
    fn review(&self, ep: Endpoint, body: &[u8], deadline: Instant) -> Result<Verdict, BadRequest> {
        self.deadlines
            .lock()
            .unwrap()
            .push((ep, deadline.saturating_duration_since(Instant::now())));
        match body {
            b"\"panic\"" => panic!("secret internal detail"),
            b"\"bad\"" => Err(BadRequest("not an AdmissionReview".into())),
            _ => Ok(Verdict {
                body: br#"{"ok":true}"#.to_vec(),
                decision: "allow",
                operation: "create",
                resource: "pods",
                ..Verdict::default()
            }),
        }
    }
}

fn app(stub: Arc<Stub>, max: usize, synced: bool) -> (axum::Router, AppState) {
    let state = AppState::with_options(
        stub,
        Arc::new(Metrics::new()),
        Arc::new(AtomicBool::new(synced)),
        max,
        Duration::from_secs(10),
    );
    (router(state.clone()), state)
}

fn post(path: &str, body: Body) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

async fn body_string(resp: axum::response::Response) -> String {
    String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap()
}

#[tokio::test]
async fn each_endpoint_reaches_the_reviewer() {
    let stub = Arc::new(Stub::default());
    let (app, _) = app(stub.clone(), 1024, true);
    for (path, ep) in [
        ("/validate", Endpoint::Validate),
        ("/mutate", Endpoint::Mutate),
        ("/imagereview", Endpoint::ImageReview),
    ] {
        let resp = app
            .clone()
            .oneshot(post(path, Body::from("{}")))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(body_string(resp).await, r#"{"ok":true}"#);
        assert_eq!(stub.deadlines.lock().unwrap().last().unwrap().0, ep);
    }
}

#[tokio::test]
async fn panics_become_500_without_details() {
    let (app, _) = app(Arc::new(Stub::default()), 1024, true);
    let resp = app
        .oneshot(post("/validate", Body::from("\"panic\"")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    let body = body_string(resp).await;
    assert_eq!(body, "internal error");
}

#[tokio::test]
async fn bad_requests_are_400_with_the_message() {
    let (app, _) = app(Arc::new(Stub::default()), 1024, true);
    let resp = app
        .oneshot(post("/validate", Body::from("\"bad\"")))
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(body_string(resp).await, "not an AdmissionReview");
}

#[tokio::test]
async fn streamed_body_over_the_limit_is_413() {
    let (app, _) = app(Arc::new(Stub::default()), 1024, true);
    // No content-length: the limit is enforced while reading.
    let chunks = (0..10).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 200])));
    let body = Body::from_stream(futures_util::stream::iter(chunks.collect::<Vec<_>>()));
    let resp = app.oneshot(post("/validate", body)).await.unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn declared_length_over_the_limit_is_413_before_reading() {
    let (app, _) = app(Arc::new(Stub::default()), 10, true);
    let resp = app
        .oneshot(post("/validate", Body::from(vec![b' '; 11])))
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn api_server_timeout_sets_the_deadline() {
    let stub = Arc::new(Stub::default());
    let (app, _) = app(stub.clone(), 1024, true);
    let _ = app
        .clone()
        .oneshot(post("/validate?timeout=2s", Body::from("{}")))
        .await
        .unwrap();
    let d = stub.deadlines.lock().unwrap().last().unwrap().1;
    assert!(
        d <= Duration::from_secs(2) && d > Duration::from_millis(1500),
        "{d:?}"
    );
    let _ = app
        .oneshot(post("/validate", Body::from("{}")))
        .await
        .unwrap();
    let d = stub.deadlines.lock().unwrap().last().unwrap().1;
    assert!(d > Duration::from_secs(9), "default deadline {d:?}");
}

#[tokio::test]
async fn readiness_follows_sync_and_draining() {
    let (app, _) = app(Arc::new(Stub::default()), 1024, false);
    let get = || Request::get("/readyz").body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(get()).await.unwrap().status(), 503);
    let (app, state) = self::app(Arc::new(Stub::default()), 1024, true);
    assert_eq!(app.clone().oneshot(get()).await.unwrap().status(), 200);
    state.start_draining();
    assert_eq!(app.clone().oneshot(get()).await.unwrap().status(), 503);
    let health = Request::get("/healthz").body(Body::empty()).unwrap();
    assert_eq!(app.oneshot(health).await.unwrap().status(), 200);
}
