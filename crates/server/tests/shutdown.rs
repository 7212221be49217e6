//! Graceful shutdown: in-flight requests finish, then the server stops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use podgate_server::metrics::Metrics;
use podgate_server::review::{BadRequest, Endpoint, Reviewer, Verdict};
use podgate_server::{testkit, AppState};

use crate::common::{Options, TestServer};

/// Takes this long per review.
struct Slow(Duration);

impl Reviewer for Slow {
    fn review(&self, _: Endpoint, _: &[u8], _: Instant) -> Result<Verdict, BadRequest> {
        std::thread::sleep(self.0);
        Ok(Verdict {
            body: b"{}".to_vec(),
            decision: "allow",
            ..Verdict::default()
        })
    }
}

fn slow_state(per_review: Duration) -> AppState {
    AppState::with_options(
        Arc::new(Slow(per_review)),
        Arc::new(Metrics::new()),
        Arc::new(AtomicBool::new(true)),
        1 << 20,
        Duration::from_secs(10),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_complete_after_sigterm() {
    let mut s = TestServer::start_with(
        Options::default(),
        Some(slow_state(Duration::from_millis(700))),
    )
    .await;
    let mut h1 = s.connect_h1().await;
    let mut h2 = s.connect_h2().await;
    let a = tokio::spawn(async move {
        h1.conn
            .send(testkit::post_json("/validate", "{}").unwrap())
            .await
    });
    let b = tokio::spawn(async move {
        h2.conn
            .send(testkit::post_json("/validate", "{}").unwrap())
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    s.signal_shutdown();
    assert_eq!(a.await.unwrap().unwrap().status, 200);
    assert_eq!(b.await.unwrap().unwrap().status, 200);
    s.task.take().unwrap().await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    // The listener is gone.
    let cfg = testkit::client_config(&s.ca_pem, &[b"http/1.1"]).unwrap();
    assert!(testkit::connect(s.addr, "localhost", cfg).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_grace_bounds_the_drain() {
    let mut s = TestServer::start_with(
        Options {
            shutdown_grace: Duration::from_millis(100),
            ..Options::default()
        },
        Some(slow_state(Duration::from_secs(3))),
    )
    .await;
    let mut c = s.connect_h1().await;
    let _req = tokio::spawn(async move {
        c.conn
            .send(testkit::post_json("/validate", "{}").unwrap())
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    s.stop().await;
    // Without the bound this would take the 3 s of the in-flight request.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn idle_keep_alive_connections_do_not_block_shutdown() {
    let mut s = TestServer::start().await;
    let _idle = s.connect_h1().await;
    let _idle2 = s.connect_h2().await;
    let started = Instant::now();
    s.stop().await;
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// During `--shutdown-delay` the server still answers, but tells HTTP/1.1
/// clients to close the connection after each answer, so kube-apiserver
/// stops reusing it and dials a ready replica instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_connections_are_closed_after_an_answer_during_the_delay() {
    let mut s = TestServer::start_with(
        Options {
            shutdown_delay: Duration::from_secs(3),
            ..Options::default()
        },
        None,
    )
    .await;
    let mut c = s.connect_h1().await;
    let before = c
        .conn
        .send(testkit::get("/healthz").unwrap())
        .await
        .unwrap();
    assert_eq!(before.status, 200);
    assert!(before.headers.get("connection").is_none());
    assert!(!c.conn.is_closed());

    s.signal_shutdown();
    // The delay has begun once readiness fails.
    let deadline = Instant::now() + Duration::from_secs(2);
    while s.state.is_ready() {
        assert!(Instant::now() < deadline, "readiness never turned off");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let during = c.conn.send(testkit::get("/readyz").unwrap()).await.unwrap();
    assert_eq!(during.status, 503);
    assert_eq!(
        during.headers.get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    // The server closes its end after that answer.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !c.conn.is_closed() {
        assert!(Instant::now() < deadline, "connection left open");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // New connections are still served during the delay, one answer each.
    let fresh = s.post("/validate", b"{}".to_vec()).await;
    assert_eq!(fresh.status, 400);
    assert_eq!(
        fresh.headers.get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    s.stop().await;
}
