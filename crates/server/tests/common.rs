//! Test servers on 127.0.0.1:0 with rcgen certificates, and AdmissionReview
//! fixtures shaped as kube-apiserver sends them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use podgate_server::certs::{CertAuthority, ServingPair};
use podgate_server::testkit::{self, Connected};
use podgate_server::{AppState, ServeArgs, Server};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const NAMESPACES: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: restricted-ns
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.33
---
apiVersion: v1
kind: Namespace
metadata:
  name: baseline-ns
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: privileged-ns
    labels:
      pod-security.kubernetes.io/enforce: privileged
- apiVersion: v1
  kind: Pod
  metadata:
    name: existing-root-pod
    namespace: privileged-ns
  spec:
    containers:
    - name: app
      image: nginx
      securityContext:
        privileged: true
"#;

pub fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A running server and what a client needs to reach it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub ca: Arc<CertAuthority>,
    pub ca_pem: String,
    pub pair: ServingPair,
    pub dir: tempfile::TempDir,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    pub task: Option<JoinHandle<anyhow::Result<()>>>,
}

pub fn names() -> Vec<String> {
    vec!["localhost".into(), "127.0.0.1".into()]
}

/// Write `contents` to `path` the way kubelet updates a Secret volume:
/// write a new file, then rename it over the old one (atomic).
pub fn atomic_write(path: &Path, contents: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

pub struct Options {
    pub max_body_bytes: usize,
    pub reload_interval: Duration,
    pub shutdown_grace: Duration,
    pub shutdown_delay: Duration,
    pub config: Option<&'static str>,
    /// A podgate.yaml passed with `--exceptions`.
    pub exceptions: Option<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_body_bytes: 3 * 1024 * 1024,
            reload_interval: Duration::from_millis(200),
            shutdown_grace: Duration::from_secs(5),
            shutdown_delay: Duration::ZERO,
            config: None,
            exceptions: None,
        }
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(Options::default(), None).await
    }

    /// Start with the real engine, or with `state` (a stub reviewer) if given.
    pub async fn start_with(opts: Options, state: Option<AppState>) -> TestServer {
        install_provider();
        let dir = tempfile::tempdir().unwrap();
        let testkit::TestPki {
            ca,
            pair,
            cert_path,
            key_path,
        } = testkit::write_test_pki(dir.path(), "podgate-test-ca", &names()).unwrap();
        let ca = Arc::new(ca);
        let ns_path = dir.path().join("namespaces.yaml");
        std::fs::write(&ns_path, NAMESPACES).unwrap();

        let mut args = ServeArgs::new(
            "127.0.0.1:0".parse().unwrap(),
            Some(cert_path.clone()),
            Some(key_path.clone()),
        );
        args.namespaces = Some(ns_path);
        args.max_body_bytes = opts.max_body_bytes;
        args.tls_reload_interval = opts.reload_interval;
        args.shutdown_grace = opts.shutdown_grace;
        args.shutdown_delay = opts.shutdown_delay;
        if let Some(cfg) = opts.config {
            let p = dir.path().join("config.yaml");
            std::fs::write(&p, cfg).unwrap();
            args.config = Some(p);
        }
        if let Some(yaml) = opts.exceptions {
            let p = dir.path().join("podgate.yaml");
            std::fs::write(&p, yaml).unwrap();
            args.exceptions = Some(p);
        }
        let server = match state {
            Some(state) => Server::bind_with_state(&args, state).await.unwrap(),
            None => Server::bind(&args).await.unwrap(),
        };
        let addr = server.local_addr().unwrap();
        let state = server.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            ca_pem: ca.cert_pem(),
            ca,
            pair,
            dir,
            cert_path,
            key_path,
            state,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub async fn connect_h1(&self) -> Connected {
        let cfg = testkit::client_config(&self.ca_pem, &[b"http/1.1"]).unwrap();
        testkit::connect(self.addr, "localhost", cfg).await.unwrap()
    }

    pub async fn connect_h2(&self) -> Connected {
        let cfg = testkit::client_config(&self.ca_pem, &[b"h2"]).unwrap();
        testkit::connect(self.addr, "localhost", cfg).await.unwrap()
    }

    /// POST `body` to `path` on a fresh HTTP/1.1 connection.
    pub async fn post(&self, path: &str, body: Vec<u8>) -> testkit::Reply {
        let mut c = self.connect_h1().await;
        c.conn
            .send(testkit::post_json(path, body).unwrap())
            .await
            .unwrap()
    }

    pub async fn review(&self, path: &str, review: &Value) -> (u16, Value) {
        let reply = self.post(path, apiserver_bytes(review)).await;
        let v = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        (reply.status, v)
    }

    pub async fn get(&self, path: &str) -> testkit::Reply {
        let mut c = self.connect_h1().await;
        c.conn.send(testkit::get(path).unwrap()).await.unwrap()
    }

    /// Signal shutdown and wait for the server to finish draining.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

// ---- AdmissionReview fixtures ----------------------------------------------

/// The fields of an AdmissionRequest in the order kube-apiserver writes
/// them (Go struct order). `json!` sorts keys, which would put `object`
/// before `resource`.
const REQUEST_ORDER: [&str; 15] = [
    "uid",
    "kind",
    "resource",
    "subResource",
    "requestKind",
    "requestResource",
    "requestSubResource",
    "name",
    "namespace",
    "operation",
    "userInfo",
    "object",
    "oldObject",
    "dryRun",
    "options",
];

/// `review` serialised as kube-apiserver would: `kind`, `apiVersion`,
/// then `request` with its fields in [`REQUEST_ORDER`] (others after).
pub fn apiserver_bytes(review: &Value) -> Vec<u8> {
    let Some(req) = review.get("request").and_then(Value::as_object) else {
        return serde_json::to_vec(review).unwrap();
    };
    let mut keys: Vec<&String> = req.keys().collect();
    keys.sort_by_key(|k| {
        REQUEST_ORDER
            .iter()
            .position(|o| o == k)
            .unwrap_or(REQUEST_ORDER.len())
    });
    let fields: Vec<String> = keys
        .iter()
        .map(|k| format!("{}:{}", json!(k), req[k.as_str()]))
        .collect();
    format!(
        r#"{{"kind":{},"apiVersion":{},"request":{{{}}}}}"#,
        review["kind"],
        review["apiVersion"],
        fields.join(",")
    )
    .into_bytes()
}

pub fn restricted_pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "good", "namespace": "restricted-ns"},
        "spec": {
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app",
                "image": "registry.example/app:1.0",
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "capabilities": {"drop": ["ALL"]}
                }
            }]
        }
    })
}

pub fn root_pod(namespace: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "bad", "namespace": namespace},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]}
    })
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "version": version, "kind": kind})
}

fn gvr(group: &str, version: &str, resource: &str) -> Value {
    json!({"group": group, "version": version, "resource": resource})
}

/// An AdmissionReview as kube-apiserver v1.33 sends it.
#[allow(clippy::too_many_arguments)]
pub fn review_of(
    uid: &str,
    kind: Value,
    resource: Value,
    sub_resource: Option<&str>,
    namespace: &str,
    name: &str,
    operation: &str,
    object: Value,
    old_object: Value,
    dry_run: bool,
) -> Value {
    let options_kind = match operation {
        "CREATE" => "CreateOptions",
        "UPDATE" => "UpdateOptions",
        "DELETE" => "DeleteOptions",
        _ => "CreateOptions",
    };
    let mut req = json!({
        "uid": uid,
        "kind": kind.clone(),
        "resource": resource.clone(),
        "requestKind": kind,
        "requestResource": resource,
        "name": name,
        "namespace": namespace,
        "operation": operation,
        "userInfo": {
            "username": "kubernetes-admin",
            "groups": ["kubeadm:cluster-admins", "system:authenticated"]
        },
        "object": object,
        "oldObject": old_object,
        "dryRun": dry_run,
        "options": {"kind": options_kind, "apiVersion": "meta.k8s.io/v1"}
    });
    if let Some(sub) = sub_resource {
        req["subResource"] = json!(sub);
        req["requestSubResource"] = json!(sub);
    }
    if namespace.is_empty() {
        req.as_object_mut().unwrap().remove("namespace");
    }
    json!({"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": req})
}

pub fn pod_create(uid: &str, pod: Value) -> Value {
    let ns = pod["metadata"]["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
    review_of(
        uid,
        gvk("", "v1", "Pod"),
        gvr("", "v1", "pods"),
        None,
        &ns,
        &name,
        "CREATE",
        pod,
        Value::Null,
        false,
    )
}

pub fn pod_create_dry_run(uid: &str, pod: Value) -> Value {
    let mut r = pod_create(uid, pod);
    r["request"]["dryRun"] = json!(true);
    r
}

pub fn ephemeral_update(uid: &str, old: Value, new: Value) -> Value {
    let ns = new["metadata"]["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let name = new["metadata"]["name"].as_str().unwrap_or("").to_string();
    review_of(
        uid,
        gvk("", "v1", "Pod"),
        gvr("", "v1", "pods"),
        Some("ephemeralcontainers"),
        &ns,
        &name,
        "UPDATE",
        new,
        old,
        false,
    )
}

pub fn deployment_create(uid: &str, namespace: &str, pod_spec: Value) -> Value {
    let deploy = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec}
        }
    });
    review_of(
        uid,
        gvk("apps", "v1", "Deployment"),
        gvr("apps", "v1", "deployments"),
        None,
        namespace,
        "web",
        "CREATE",
        deploy,
        Value::Null,
        false,
    )
}

pub fn namespace_update(uid: &str, name: &str, old_labels: Value, new_labels: Value) -> Value {
    let obj = |labels: Value| {
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": name, "labels": labels}})
    };
    review_of(
        uid,
        gvk("", "v1", "Namespace"),
        gvr("", "v1", "namespaces"),
        None,
        "",
        name,
        "UPDATE",
        obj(new_labels),
        obj(old_labels),
        false,
    )
}

pub fn namespace_create(uid: &str, name: &str, labels: Value) -> Value {
    let obj = json!({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": name, "labels": labels}});
    review_of(
        uid,
        gvk("", "v1", "Namespace"),
        gvr("", "v1", "namespaces"),
        None,
        "",
        name,
        "CREATE",
        obj,
        Value::Null,
        false,
    )
}
