//! HTTPS transport against a real server on 127.0.0.1:0: status codes,
//! content types, limits, HTTP/2, concurrency, metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use podgate_server::testkit;
use serde_json::json;

use crate::common::{self, apiserver_bytes, pod_create, restricted_pod, Options, TestServer};

#[tokio::test]
async fn health_and_readiness() {
    let s = TestServer::start().await;
    let h = s.get("/healthz").await;
    assert_eq!((h.status, &h.body[..]), (200, &b"ok"[..]));
    let r = s.get("/readyz").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
    assert_eq!(s.get("/nope").await.status, 404);
}

#[tokio::test]
async fn review_echoes_uid_as_json() {
    let s = TestServer::start().await;
    let review = pod_create("705ab4f5-6393-11e8-b7cc-42010a800002", restricted_pod());
    let reply = s
        .post("/validate", serde_json::to_vec(&review).unwrap())
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    assert_eq!(v["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(v["response"]["allowed"], true);
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let s = TestServer::start().await;
    let mut c = s.connect_h1().await;
    let body = apiserver_bytes(&pod_create("u", restricted_pod()));
    for ct in [Some("text/plain"), Some("application/yaml"), None] {
        let mut b = hyper::Request::post("/validate").header("host", "localhost");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        let req = b
            .body(http_body_util::Full::new(bytes::Bytes::from(body.clone())))
            .unwrap();
        let reply = c.conn.send(req).await.unwrap();
        assert_eq!(reply.status, 415, "content-type {ct:?}");
    }
    // Parameters after the media type are fine.
    let req = hyper::Request::post("/validate")
        .header("host", "localhost")
        .header("content-type", "application/json; charset=utf-8")
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .unwrap();
    assert_eq!(c.conn.send(req).await.unwrap().status, 200);
}

#[tokio::test]
async fn oversized_body_is_413_and_the_connection_survives_for_small_ones() {
    let s = TestServer::start_with(
        Options {
            max_body_bytes: 4096,
            ..Options::default()
        },
        None,
    )
    .await;
    let mut pod = restricted_pod();
    pod["metadata"]["annotations"] = json!({"big": "x".repeat(8000)});
    let reply = s
        .post(
            "/validate",
            serde_json::to_vec(&pod_create("u", pod)).unwrap(),
        )
        .await;
    assert_eq!(reply.status, 413);
    let ok = s
        .post(
            "/validate",
            apiserver_bytes(&pod_create("u2", restricted_pod())),
        )
        .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn malformed_json_is_400_with_a_short_message() {
    let s = TestServer::start().await;
    for body in [
        &b"{not json"[..],
        b"",
        b"[]",
        b"{\"kind\":\"AdmissionReview\"}",
    ] {
        let reply = s.post("/validate", body.to_vec()).await;
        assert_eq!(
            reply.status,
            400,
            "body {:?}",
            String::from_utf8_lossy(body)
        );
        assert!(reply.body.len() < 300, "message too long: {:?}", reply.body);
        assert!(!reply.body.is_empty());
    }
}

#[tokio::test]
async fn get_on_a_webhook_path_is_405() {
    let s = TestServer::start().await;
    assert_eq!(s.get("/validate").await.status, 405);
}

#[tokio::test]
async fn http2_via_alpn() {
    let s = TestServer::start().await;
    let mut c = s.connect_h2().await;
    assert_eq!(c.alpn.as_deref(), Some(&b"h2"[..]));
    // Several streams on one connection.
    for i in 0..5 {
        let uid = format!("h2-{i}");
        let body = apiserver_bytes(&pod_create(&uid, restricted_pod()));
        let reply = c
            .conn
            .send(testkit::post_json("/validate", body).unwrap())
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(v["response"]["uid"], uid);
    }
    let h1 = s.connect_h1().await;
    assert_eq!(h1.alpn.as_deref(), Some(&b"http/1.1"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_over_16_connections() {
    let s = TestServer::start().await;
    let mut tasks = Vec::new();
    for c in 0..16 {
        let mut conn = if c % 4 == 0 {
            s.connect_h2().await
        } else {
            s.connect_h1().await
        };
        tasks.push(tokio::spawn(async move {
            let mut uids = Vec::new();
            for i in 0..13 {
                let uid = format!("c{c}-r{i}");
                let body = apiserver_bytes(&pod_create(&uid, restricted_pod()));
                let reply = conn
                    .conn
                    .send(testkit::post_json("/validate", body).unwrap())
                    .await
                    .unwrap();
                assert_eq!(reply.status, 200);
                let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
                assert_eq!(v["response"]["uid"], uid);
                uids.push(uid);
            }
            uids
        }));
    }
    let mut all = HashSet::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 16 * 13); // 208 requests, every one answered
}

#[tokio::test]
async fn metrics_are_exposed_with_bounded_labels() {
    let s = TestServer::start().await;
    let _ = s
        .post(
            "/validate",
            apiserver_bytes(&pod_create("m1", common::root_pod("restricted-ns"))),
        )
        .await;
    let _ = s.post("/validate", b"{oops".to_vec()).await;
    let m = s.get("/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = String::from_utf8(m.body.to_vec()).unwrap();
    assert!(
        text.contains("# TYPE pod_security_evaluations counter"),
        "{text}"
    );
    assert!(
        text.contains(
            r#"pod_security_evaluations_total{decision="deny",policy_level="restricted",policy_version="v1.33",mode="enforce",request_operation="create",resource="pod",subresource=""} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"podgate_admission_requests_total{endpoint="validate",code="200",decision="deny"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("podgate_admission_request_duration_seconds_bucket{"));
    assert!(
        text.contains(
            r#"podgate_admission_requests_total{endpoint="validate",code="400",decision="error"} 1"#
        ),
        "{text}"
    );
    // No object names, uids or error text in label values.
    assert!(!text.contains("m1"));
    assert!(!text.contains("oops"));
    assert!(!text.contains("restricted-ns"));
}
