//! The `cluster` namespace source against a fake API server on 127.0.0.1:
//! the reflector's list and watch, readiness after sync, label changes seen
//! through the watch, and the live pod list for the namespace dry-run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::Router;
use podgate_server::{testkit, ServeArgs, Server};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::common::{install_provider, namespace_update, pod_create, root_pod};

fn namespace(name: &str, enforce: &str, rv: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
           "metadata": {"name": name, "resourceVersion": rv, "uid": format!("uid-{name}"),
                        "labels": {"kubernetes.io/metadata.name": name,
                                   "pod-security.kubernetes.io/enforce": enforce}}})
}

#[derive(Clone)]
struct Fake {
    /// The next watch event to send (sent when the value changes).
    events: watch::Receiver<Option<Value>>,
}

async fn namespaces(State(f): State<Fake>, RawQuery(q): RawQuery) -> axum::response::Response {
    let q = q.unwrap_or_default();
    if q.contains("watch=true") || q.contains("watch=1") {
        let rx = f.events.clone();
        let stream = futures_util::stream::unfold((rx, true), |(mut rx, first)| async move {
            if !first && rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
            let ev = rx.borrow_and_update().clone();
            let line = match ev {
                Some(ev) => format!("{ev}\n"),
                None => {
                    // Nothing to send yet: wait for the first change.
                    if rx.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                    format!(
                        "{}\n",
                        rx.borrow_and_update().clone().unwrap_or(Value::Null)
                    )
                }
            };
            Some((Ok::<_, Infallible>(Bytes::from(line)), (rx, false)))
        });
        return axum::response::Response::builder()
            .header("content-type", "application/json")
            .body(Body::from_stream(stream))
            .unwrap();
    }
    let list = json!({"apiVersion": "v1", "kind": "NamespaceList",
                      "metadata": {"resourceVersion": "10"},
                      "items": [namespace("team-a", "restricted", "5"),
                                namespace("legacy", "privileged", "6")]});
    axum::response::Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(list.to_string()))
        .unwrap()
}

/// GET of one namespace: `fresh` exists but was never listed nor watched
/// (created after the reflector's list, its event not delivered yet).
async fn one_namespace(Path(name): Path<String>) -> axum::response::Response {
    let (code, body) = if name == "fresh" {
        (200, namespace("fresh", "restricted", "7"))
    } else {
        (
            404,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                   "status": "Failure", "message": format!("namespaces \"{name}\" not found"),
                   "reason": "NotFound", "details": {"name": name, "kind": "namespaces"},
                   "code": 404}),
        )
    };
    axum::response::Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn privileged_pod(name: &str, ns: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": ns},
           "spec": {"containers": [{"name": "c", "image": "busybox",
                                    "securityContext": {"privileged": true}}]}})
}

async fn pods(Path(ns): Path<String>, RawQuery(q): RawQuery) -> axum::response::Response {
    let q = q.unwrap_or_default();
    if ns == "broken" {
        let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Failure", "message": "etcdserver: request timed out",
                            "reason": "InternalError", "code": 500});
        return axum::response::Response::builder()
            .status(500)
            .header("content-type", "application/json")
            .body(Body::from(status.to_string()))
            .unwrap();
    }
    if ns == "slow" {
        // Slower than the dry run's 1 s budget.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let list = json!({"apiVersion": "v1", "kind": "PodList",
                          "metadata": {"resourceVersion": "11"},
                          "items": [privileged_pod("late", "slow")]});
        return axum::response::Response::builder()
            .header("content-type", "application/json")
            .body(Body::from(list.to_string()))
            .unwrap();
    }
    if ns == "paged" {
        // Two pages: the second only with the first page's continue token.
        let (item, cont) = if q.contains("continue=next") {
            (privileged_pod("page-2", "paged"), "")
        } else {
            (privileged_pod("page-1", "paged"), "next")
        };
        let list = json!({"apiVersion": "v1", "kind": "PodList",
                          "metadata": {"resourceVersion": "11", "continue": cont},
                          "items": [item]});
        return axum::response::Response::builder()
            .header("content-type", "application/json")
            .body(Body::from(list.to_string()))
            .unwrap();
    }
    let items = if ns == "legacy" {
        vec![json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "old-privileged", "namespace": "legacy"},
                    "spec": {"containers": [{"name": "c", "image": "busybox",
                                             "securityContext": {"privileged": true}}]}})]
    } else {
        vec![]
    };
    let list = json!({"apiVersion": "v1", "kind": "PodList",
                      "metadata": {"resourceVersion": "11"}, "items": items});
    axum::response::Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(list.to_string()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflector_and_pod_lister_against_a_fake_api_server() {
    install_provider();
    let (events_tx, events) = watch::channel(None);
    let app = Router::new()
        .route("/api/v1/namespaces", get(namespaces))
        .route("/api/v1/namespaces/{name}", get(one_namespace))
        .route("/api/v1/namespaces/{ns}/pods", get(pods))
        .with_state(Fake { events });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{api}\n\
             users:\n- name: u\n  user: {{}}\ncontexts:\n- name: c\n  context:\n    cluster: fake\n    user: u\n\
             current-context: c\n"
        ),
    )
    .unwrap();
    let mut args = ServeArgs::new("127.0.0.1:0".parse().unwrap(), None, None);
    args.kubeconfig = Some(kubeconfig);
    let server = Server::bind(&args).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stop_rx.await;
    }));
    let post = |body: Value| async move {
        let mut c = testkit::connect_plain(addr).await.unwrap();
        let reply = c
            .send(testkit::post_json("/validate", serde_json::to_vec(&body).unwrap()).unwrap())
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
        serde_json::from_slice::<Value>(&reply.body).unwrap()["response"].clone()
    };

    // Ready once the reflector has listed the namespaces.
    let mut ready = false;
    for _ in 0..100 {
        let mut c = testkit::connect_plain(addr).await.unwrap();
        if c.send(testkit::get("/readyz").unwrap())
            .await
            .unwrap()
            .status
            == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "namespace cache never synced");

    let r = post(pod_create("c1", root_pod("team-a"))).await;
    assert_eq!(r["allowed"], false, "{r}");

    // A namespace not in the cache yet is fetched live, as upstream's
    // NamespaceGetterFromListerAndClient does: its restricted level applies
    // (403), not a failed lookup (500).
    let r = post(pod_create("c1b", root_pod("fresh"))).await;
    assert_eq!(r["status"]["code"], 403, "{r}");
    // One that does not exist: upstream's lookup error, with the API
    // server's error text.
    let r = post(pod_create("c1c", root_pod("gone"))).await;
    assert_eq!(r["status"]["code"], 500, "{r}");
    assert_eq!(
        r["auditAnnotations"]["error"],
        "Internal error occurred: failed to lookup namespace \"gone\": namespaces \"gone\" not found",
        "{r}"
    );

    // A label change arrives through the watch.
    events_tx
        .send(Some(
            json!({"type": "MODIFIED", "object": namespace("team-a", "privileged", "12")}),
        ))
        .unwrap();
    let mut relaxed = false;
    for _ in 0..100 {
        if post(pod_create("c2", root_pod("team-a"))).await["allowed"] == true {
            relaxed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(relaxed, "watch event not applied");

    // Tightening `legacy` lists its pods from the API server and warns.
    let r = post(namespace_update(
        "c3",
        "legacy",
        json!({"pod-security.kubernetes.io/enforce": "privileged"}),
        json!({"pod-security.kubernetes.io/enforce": "baseline"}),
    ))
    .await;
    assert_eq!(r["allowed"], true);
    assert!(r["warnings"].to_string().contains("old-privileged"), "{r}");

    // Every page of pods is read, as upstream lists them all.
    let r = post(namespace_update(
        "c4",
        "paged",
        json!({}),
        json!({"pod-security.kubernetes.io/enforce": "baseline"}),
    ))
    .await;
    assert_eq!(
        r["warnings"],
        json!([
            "existing pods in namespace \"paged\" violate the new PodSecurity enforce level \"baseline:latest\"",
            "page-1 (and 1 other pod): privileged"
        ]),
        "{r}"
    );

    // A failed pod list is upstream's warning, not silence.
    let r = post(namespace_update(
        "c5",
        "broken",
        json!({}),
        json!({"pod-security.kubernetes.io/enforce": "baseline"}),
    ))
    .await;
    assert_eq!(r["allowed"], true);
    assert_eq!(
        r["warnings"],
        json!(["failed to list pods while checking new PodSecurity enforce level"]),
        "{r}"
    );

    // The list runs under the dry run's deadline, as upstream's: a list
    // slower than 1 s fails the dry run.
    let r = post(namespace_update(
        "c6",
        "slow",
        json!({}),
        json!({"pod-security.kubernetes.io/enforce": "baseline"}),
    ))
    .await;
    assert_eq!(
        r["warnings"],
        json!(["failed to list pods while checking new PodSecurity enforce level"]),
        "{r}"
    );
    let _ = stop_tx.send(());
}
