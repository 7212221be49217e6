//! Request logging, in its own test binary: tracing's callsite interest is
//! process-wide, so a test that installs a thread-local subscriber races
//! with other tests' threads hitting the same callsites (the log lines then
//! go missing at random). Alone in its process it cannot race.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use hyper::Request;
use podgate_server::metrics::Metrics;
use podgate_server::review::{BadRequest, Endpoint, Reviewer, Verdict};
use podgate_server::{router, AppState};
use tower::ServiceExt;

fn post(path: &str, body: Body) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

/// Log lines go to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Decides by body: `"deny"` is denied, anything else allowed; the UID is
/// the body.
struct ByBody;

impl Reviewer for ByBody {
    fn review(&self, _: Endpoint, body: &[u8], _: Instant) -> Result<Verdict, BadRequest> {
        let uid = String::from_utf8_lossy(body).trim_matches('"').to_string();
        Ok(Verdict {
            body: b"{}".to_vec(),
            decision: if uid.starts_with("deny") {
                "deny"
            } else {
                "allow"
            },
            operation: "create",
            resource: "pods",
            request: podgate_admission::RequestIdentity {
                uid,
                kind: "Pod".into(),
                namespace: "team-a".into(),
                name: String::new(),
            },
            ..Verdict::default()
        })
    }
}

/// At the default level (INFO) a denial is logged with what it was about;
/// an allowed review is not (DEBUG shows it).
#[tokio::test]
async fn denials_are_logged_at_info_allowed_reviews_at_debug() {
    for (level, expect_allowed) in [(tracing::Level::INFO, false), (tracing::Level::DEBUG, true)] {
        let buf = Captured::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let state = AppState::new(Arc::new(ByBody), Arc::new(Metrics::new()));
        let app = router(state);
        for uid in ["allow-1", "deny-1"] {
            let resp = app
                .clone()
                .oneshot(post("/validate", Body::from(format!("\"{uid}\""))))
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
        }
        let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let deny = logs
            .lines()
            .find(|l| l.contains("uid=\"deny-1\""))
            .unwrap_or_else(|| panic!("no denial line in {logs}"));
        for field in [
            "admission review",
            "decision=\"deny\"",
            "kind=\"Pod\"",
            "namespace=\"team-a\"",
            "status=200",
        ] {
            assert!(deny.contains(field), "{field} missing from {deny}");
        }
        assert_eq!(logs.contains("uid=\"allow-1\""), expect_allowed, "{logs}");
    }
}
